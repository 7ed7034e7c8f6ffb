/**
 * One JSON request to the Hub's API: retries (unless the request must not be repeated), relative
 * redirects only, errors mapped to typed errors, the JSON answer parsed.
 * @module
 */
import { HubError } from '../../errors.js';
import type { HubConfig } from '../config.js';
import { type HttpMethod, type HttpResponse, type RequestBody, headerValue, sendFollowing } from '../http.js';
import { apiErrorFromResponse } from '../http-errors.js';

/** What a request is for, to write messages. */
export interface ApiCall {
  /** Public function name (`uploadFolder`). */
  where: string;
  /** Repository id. */
  repoId: string;
  /** Branch or revision concerned. */
  revision?: string;
  /** What is being done: `create repository "org/name"`. */
  action: string;
}

/** The request itself. */
export interface ApiRequest {
  method: HttpMethod;
  url: string;
  /** A JSON body (sent with `Content-Type: application/json`). */
  json?: unknown;
  /** Any other body, with its `content-type` in `headers`. */
  body?: RequestBody;
  headers?: Record<string, string>;
  /**
   * Whether the request may be sent again after a 5xx or a dropped connection. Default true;
   * false for a commit, which a lost answer could otherwise apply twice (huggingface_hub does
   * not retry it either).
   */
  retry?: boolean;
}

/** A successful answer: its JSON (or `undefined` for an empty body) and the response. */
export interface ApiAnswer<T> {
  data: T;
  response: Pick<HttpResponse, 'status' | 'headers' | 'url'>;
}

/**
 * Sends `req` and returns its parsed JSON answer.
 * @throws {HubHttpError} (and subclasses) from the status and `X-Error-Code`, see `apiErrorFromResponse`.
 * @throws {NetworkError} When the Hub could not be reached.
 * @throws {HubError} When a successful answer is not JSON. @internal
 */
export async function apiRequest<T>(config: HubConfig, req: ApiRequest, call: ApiCall): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...req.headers };
  let body = req.body;
  if (req.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(req.json);
  }
  const effective = req.retry === false ? { ...config, retry: { ...config.retry, maxRetries: 0 } } : config;
  const res = await sendFollowing(
    req.method,
    req.url,
    headers,
    effective,
    { where: call.where, retryUnreachable: false, relativeOnly: true },
    body,
  );
  const text = await res.body.text();
  if (res.status >= 300) {
    throw apiErrorFromResponse(
      { status: res.status, url: res.url, headers: res.headers, body: text },
      {
        where: call.where,
        repoId: call.repoId,
        ...(call.revision !== undefined ? { revision: call.revision } : {}),
        action: call.action,
        endpoint: config.endpoint,
        sentToken: config.token !== undefined,
      },
    );
  }
  let data: unknown;
  if (text.trim() !== '') {
    try {
      data = JSON.parse(text) as unknown;
    } catch (cause) {
      throw new HubError(
        `${call.where}: could not ${call.action}: the answer of ${res.url} is not JSON ` +
          `(content-type ${headerValue(res.headers, 'content-type') ?? 'none'}); is ${config.endpoint} a Hugging Face Hub?`,
        { cause },
      );
    }
  }
  return { data: data as T, response: { status: res.status, headers: res.headers, url: res.url } };
}

/**
 * The address of the Hub's API for a model repository: `{endpoint}/api/models/{repoId}{suffix}`.
 * @internal
 */
export function modelApiUrl(config: HubConfig, repoId: string, suffix = ''): string {
  return `${config.endpoint}/api/models/${repoId}${suffix}`;
}

/** A malformed answer from the server. @internal */
export function malformed(call: ApiCall, what: string): HubError {
  return new HubError(
    `${call.where}: could not ${call.action}: the Hub's answer is malformed (${what}); is the endpoint a Hugging Face Hub?`,
  );
}
