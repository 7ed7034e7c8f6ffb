/**
 * HTTP with undici: one request, retries with backoff (408/429/5xx and dropped connections,
 * honouring `Retry-After`), redirects followed by hand so that `Authorization` only ever goes to
 * the endpoint's own host. Internal to the Hub client.
 * @module
 */
import type { Readable } from 'node:stream';

import { type Dispatcher, request } from 'undici';

import { HubError, NetworkError } from '../errors.js';
import type { HubConfig } from './config.js';

/** HTTP methods the Hub client sends. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/**
 * A request body, made anew for each attempt (a stream cannot be sent twice): bytes, text, or a
 * function returning a fresh stream or bytes.
 */
export type RequestBody = string | Uint8Array | (() => string | Uint8Array | Readable);

/** A response whose body must be read or dumped by the caller. */
export interface HttpResponse {
  /** HTTP status. */
  status: number;
  /** Response headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** The body stream. */
  body: Dispatcher.ResponseData['body'];
  /** Address that answered (after redirects). */
  url: string;
}

/** Longest `Retry-After` honoured, in ms. */
const MAX_RETRY_AFTER_MS = 60_000;
const MAX_REDIRECTS = 10;
const USER_AGENT = `kaun-hf/0.0.0; node/${process.versions.node}`;

/** First value of a header, if present. */
export function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The `Authorization` header for `url`: only when a token is set and `url` has the endpoint's
 * origin (scheme, host and port). A CDN, or any other host a redirect points to, gets nothing.
 */
export function authHeaders(url: string, config: HubConfig): Record<string, string> {
  if (!config.token) return {};
  return new URL(url).origin === new URL(config.endpoint).origin ? { authorization: `Bearer ${config.token}` } : {};
}

/** Sends one request (no retry, no redirect). Asks for the raw bytes (`Accept-Encoding: identity`). */
export async function sendOnce(
  method: HttpMethod,
  url: string,
  headers: Record<string, string>,
  config: HubConfig,
  body?: RequestBody,
): Promise<HttpResponse> {
  const d = config.dispatcher;
  const res = await request(url, {
    method,
    headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', ...headers },
    ...(body !== undefined ? { body: typeof body === 'function' ? body() : body } : {}),
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
    signal: config.signal ?? null,
    ...(d ? { dispatcher: d } : {}),
  });
  return { status: res.statusCode, headers: res.headers, body: res.body, url };
}

/** Whether a status is worth retrying: 408, 429, 500, 502, 503, 504. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether a failure means "no route to the server" (refused, unknown host) rather than a dropped connection. */
export function isUnreachable(err: unknown): boolean {
  const code = errorCode(err);
  return (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'ENETUNREACH' ||
    code === 'EHOSTUNREACH'
  );
}

/** Whether the failure is the caller's abort. */
export function isAbort(err: unknown, config: HubConfig): boolean {
  return config.signal?.aborted === true || (err instanceof Error && err.name === 'AbortError');
}

/** Parses `Retry-After` (seconds or an HTTP date) into ms, capped at 60 s; `undefined` when absent or malformed. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value.trim());
  let ms: number;
  if (Number.isFinite(seconds)) ms = seconds * 1000;
  else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** Backoff before retry number `attempt` (0-based): `baseDelayMs * 2^attempt` capped at `maxDelayMs`, or `Retry-After`. */
export function retryDelayMs(attempt: number, config: HubConfig, retryAfter?: string): number {
  const fromServer = parseRetryAfter(retryAfter);
  if (fromServer !== undefined) return fromServer;
  return Math.min(config.retry.maxDelayMs, config.retry.baseDelayMs * 2 ** attempt);
}

/** Waits `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Whether a retry that starts after waiting `wait` ms still starts within `retry.maxElapsedMs`
 * of `since` (a request's first attempt, or a download's last progress).
 */
export function withinRetryWindow(since: number, wait: number, config: HubConfig): boolean {
  return Date.now() - since + wait <= config.retry.maxElapsedMs;
}

/** Options of {@link sendWithRetry}. */
export interface RetryCall {
  /** Function name for messages. */
  where: string;
  /** Whether to retry when the server cannot be reached at all (refused, unknown host). */
  retryUnreachable: boolean;
}

/**
 * Sends a request, retrying on connection failures and on 408/429/5xx with exponential backoff
 * (or the server's `Retry-After`), at most `retry.maxRetries` times and only while a retry starts
 * within `retry.maxElapsedMs` of the first attempt. The last response is returned even if it is
 * an error status.
 * @throws {NetworkError} When every attempt failed to connect or the connection dropped.
 */
export async function sendWithRetry(
  method: HttpMethod,
  url: string,
  headers: Record<string, string>,
  config: HubConfig,
  call: RetryCall,
  body?: RequestBody,
): Promise<HttpResponse> {
  const { maxRetries } = config.retry;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    let res: HttpResponse;
    try {
      res = await sendOnce(method, url, headers, config, body);
    } catch (err) {
      if (isAbort(err, config)) throw err;
      const wait = retryDelayMs(attempt, config);
      if (attempt >= maxRetries || !withinRetryWindow(started, wait, config) || (!call.retryUnreachable && isUnreachable(err))) {
        const tries = attempt + 1;
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        throw new NetworkError(
          `${call.where}: could not reach ${url} (${tries} attempt${tries > 1 ? 's' : ''} in ${seconds} s): ` +
            `${err instanceof Error ? err.message : String(err)}${errorCode(err) ? ` [${errorCode(err)}]` : ''}; ` +
            `check the connection and HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the cache`,
          { cause: err },
        );
      }
      await sleep(wait, config.signal);
      continue;
    }
    const wait = retryDelayMs(attempt, config, headerValue(res.headers, 'retry-after'));
    if (isRetryableStatus(res.status) && attempt < maxRetries && withinRetryWindow(started, wait, config)) {
      await res.body.dump().catch(() => undefined);
      await sleep(wait, config.signal);
      continue;
    }
    return res;
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Whether a `Location` value is relative (no scheme and no host), as the Hub sends for renamed repositories. */
export function isRelativeLocation(location: string): boolean {
  return !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(location) && !location.startsWith('//');
}

/**
 * Sends with retries and follows redirects by hand: `relativeOnly` follows only relative
 * `Location`s (metadata requests stop at the CDN redirect and report it). Each hop gets
 * `Authorization` only if it is on the endpoint's origin.
 * @throws {NetworkError} See {@link sendWithRetry}.
 * @throws {HubError} After more than 10 redirects.
 */
export async function sendFollowing(
  method: HttpMethod,
  url: string,
  headers: Record<string, string>,
  config: HubConfig,
  call: RetryCall & { relativeOnly: boolean },
  body?: RequestBody,
): Promise<HttpResponse> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await sendWithRetry(method, current, { ...headers, ...authHeaders(current, config) }, config, call, body);
    const location = headerValue(res.headers, 'location');
    if (!isRedirect(res.status) || location === undefined) return res;
    if (call.relativeOnly && !isRelativeLocation(location)) return res;
    await res.body.dump().catch(() => undefined);
    current = new URL(location, current).href;
  }
  throw new HubError(`${call.where}: more than ${MAX_REDIRECTS} redirects starting from ${url}`);
}
