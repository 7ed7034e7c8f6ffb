/**
 * The one place that reads the environment for the Hub client, at each call (never at import).
 * @module
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

import { type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { checkOptions, type OptionKeys } from '@raven/nx/options';

import { DeadlineExceededError, HubError } from '../errors.js';
import type { DownloadProgress } from './progress.js';

/** Default Hub address, used when neither `endpoint` nor `HF_ENDPOINT` is set. */
export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** Retry settings for requests that fail with 408/429/5xx or a dropped connection. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 5. */
  maxRetries?: number;
  /** First backoff delay in ms; doubles each retry. Default 500. */
  baseDelayMs?: number;
  /** Largest backoff delay in ms. Default 8000. A server's `Retry-After` is honoured up to 60 s. */
  maxDelayMs?: number;
  /**
   * No new attempt starts once this much time (ms) has passed since a request's first attempt
   * (for a download: since the last byte received), even if `maxRetries` allows more. Default
   * 30000: with the default `timeoutMs` of 10 s, a Hub that never answers fails after 3
   * attempts, in about 31.5 s.
   */
  maxElapsedMs?: number;
}

/** Settings of the lock file (`blobs/<etag>.lock`) that keeps two processes off one download. */
export interface LockOptions {
  /** A lock whose file was not touched for this long (ms) is taken as abandoned. Default 60000. */
  staleMs?: number;
  /** How often (ms) a waiting process checks the lock again. Default 200. */
  pollMs?: number;
}

/** Options shared by every Hub call. Each one left out falls back as documented. */
export interface HubOptions {
  /** Branch, tag or 40-hex commit. Default `'main'`. */
  revision?: string;
  /**
   * Access token sent as `Authorization: Bearer` to the endpoint's host (never to a CDN after a
   * redirect). Default: `HF_TOKEN` (or the legacy `HUGGING_FACE_HUB_TOKEN`). `false` sends none.
   */
  token?: string | false;
  /** Cache root. Default {@link cacheRoot}() (`RAVEN_CACHE_ROOT`, `HF_HUB_CACHE`, `HF_HOME`, ...). */
  cacheDir?: string;
  /** No network at all: answer from the cache or throw `OfflineError`. Default: `HF_HUB_OFFLINE` (1/true/yes/on). */
  offline?: boolean;
  /** Hub address (a mirror works). Default: `HF_ENDPOINT` read at call time, else `https://huggingface.co`. */
  endpoint?: string;
  /** Called as bytes arrive and when a file is found in the cache. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Retry settings; see {@link RetryOptions}. */
  retry?: RetryOptions;
  /** Lock settings; see {@link LockOptions}. */
  lock?: LockOptions;
  /**
   * Time limit (ms) of one attempt for the response headers and for each gap between body
   * chunks (connecting has undici's own limit, 10 s). Default 10000, as huggingface_hub's
   * `HF_HUB_DOWNLOAD_TIMEOUT`.
   */
  timeoutMs?: number;
  /**
   * Overall time limit (ms) of the whole call: every request, retry, backoff, wait for another
   * process's download, and every byte of the body (a server trickling bytes slowly is cut off
   * too). Exceeded: a `DeadlineExceededError`; a partial download is kept for the next call.
   * Default: none (a large file may take long); `timeoutMs` and `retry` still bound a dead server.
   */
  deadlineMs?: number;
  /** Link snapshot files to blobs with relative symlinks (true) or copy them (false). Default: symlinks, copy where they fail. */
  symlinks?: boolean;
  /** Aborts the call. */
  signal?: AbortSignal;
  /**
   * undici dispatcher for every request (a `ProxyAgent`, an `Agent` with TLS options...).
   * Default: an `EnvHttpProxyAgent` when `HTTP_PROXY`/`HTTPS_PROXY` (or lower case) is set, which
   * also honours `NO_PROXY`; else undici's global dispatcher.
   */
  dispatcher?: Dispatcher;
}

/** The keys of {@link HubOptions}, for option-name checks. @internal */
export const HUB_OPTION_KEYS: OptionKeys<HubOptions> = {
  revision: true, token: true, cacheDir: true, offline: true, endpoint: true, onProgress: true, retry: true, lock: true,
  timeoutMs: true, deadlineMs: true, symlinks: true, signal: true, dispatcher: true,
};
const RETRY_KEYS: OptionKeys<RetryOptions> = { maxRetries: true, baseDelayMs: true, maxDelayMs: true, maxElapsedMs: true };
const LOCK_KEYS: OptionKeys<LockOptions> = { staleMs: true, pollMs: true };

/** The settings of one call, after defaults and the environment were applied. */
export interface HubConfig {
  /** Hub address without a trailing slash. */
  endpoint: string;
  /** Token to send to the endpoint's host, if any. */
  token: string | undefined;
  /** Whether the network is off. */
  offline: boolean;
  /** Cache root. */
  cacheDir: string;
  /** Retry settings. */
  retry: Required<RetryOptions>;
  /** Lock settings. */
  lock: Required<LockOptions>;
  /** Headers/body-gap time limit of one attempt in ms. */
  timeoutMs: number;
  /** Overall deadline of the call in ms, if any (its timer aborts `signal`). */
  deadlineMs: number | undefined;
  /** `undefined`: symlinks, copy where they fail. */
  symlinks: boolean | undefined;
  /** Progress callback. */
  onProgress: ((progress: DownloadProgress) => void) | undefined;
  /** Abort signal: the caller's, combined with the deadline's when `deadlineMs` is set. */
  signal: AbortSignal | undefined;
  /** Dispatcher for requests; `undefined`: undici's global one. */
  dispatcher: Dispatcher | undefined;
}

const TRUE_VALUES = new Set(['1', 'true', 'yes', 'on']);

/** Reads a boolean environment variable the way huggingface_hub does (1/true/yes/on, any case). */
function envFlag(name: string): boolean {
  const value = process.env[name];
  return value !== undefined && TRUE_VALUES.has(value.trim().toLowerCase());
}

function envString(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

let proxyAgent: { key: string; agent: Dispatcher } | undefined;

/** An `EnvHttpProxyAgent` when a proxy variable is set (made again when they change), else `undefined`. */
function proxyFromEnv(): Dispatcher | undefined {
  const proxies = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'];
  if (!proxies.some((n) => envString(n))) return undefined;
  const key = [...proxies, 'NO_PROXY', 'no_proxy'].map((n) => process.env[n] ?? '').join('\n');
  if (proxyAgent?.key !== key) proxyAgent = { key, agent: new EnvHttpProxyAgent() };
  return proxyAgent.agent;
}

/** `~` or `~/...` at the start of a path from the environment, expanded (as Python's `expanduser`). */
function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/**
 * The cache root, read from the environment now, first that is set:
 * 1. `$RAVEN_CACHE_ROOT/huggingface` (Raven's own setting);
 * 2. `$HF_HUB_CACHE` (then the legacy `$HUGGINGFACE_HUB_CACHE`): huggingface_hub's cache itself;
 * 3. `$HF_HOME/hub`: huggingface_hub's cache under its home;
 * 4. `$XDG_CACHE_HOME/raven/huggingface`, else `~/.cache/raven/huggingface`.
 *
 * The layout inside is huggingface_hub's (`models--org--name/{blobs,snapshots,refs}`), so with
 * `HF_HUB_CACHE` or `HF_HOME` set (2, 3), Python's `huggingface_hub` and Raven share one cache.
 * Without them Raven keeps its own (4), apart from Python's default `~/.cache/huggingface/hub`;
 * pass `cacheDir` (or set `HF_HUB_CACHE`) to share that one.
 * @returns An absolute path (the folder may not exist yet).
 * @example
 * ```ts
 * process.env.HF_HOME = '/data/hf';
 * cacheRoot(); // '/data/hf/hub' (unless RAVEN_CACHE_ROOT or HF_HUB_CACHE is set)
 * ```
 */
export function cacheRoot(): string {
  const raven = envString('RAVEN_CACHE_ROOT');
  if (raven) return join(expandHome(raven), 'huggingface');
  const hub = envString('HF_HUB_CACHE') ?? envString('HUGGINGFACE_HUB_CACHE');
  if (hub) return expandHome(hub);
  const hfHome = envString('HF_HOME');
  if (hfHome) return join(expandHome(hfHome), 'hub');
  const xdg = envString('XDG_CACHE_HOME');
  if (xdg) return join(xdg, 'raven', 'huggingface');
  return join(homedir(), '.cache', 'raven', 'huggingface');
}

/**
 * The caller's signal (if any) combined with a timer that aborts after `deadlineMs` with a
 * `DeadlineExceededError` as the reason (undici and the waits reject with that reason). The
 * timer does not keep the process alive.
 */
function withDeadline(signal: AbortSignal | undefined, deadlineMs: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DeadlineExceededError(`the call did not finish within its deadline of ${deadlineMs} ms (deadlineMs); raise deadlineMs, or leave it out for no overall limit`, deadlineMs));
  }, deadlineMs);
  timer.unref();
  return signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
}

/**
 * `options` with `deadlineMs` turned into their `signal` (the caller's combined with the
 * deadline's timer, started now), for a call made of several Hub calls (a snapshot, a pretrained
 * model) that must share one deadline. Options without `deadlineMs` come back as they are.
 * @internal
 */
export function startDeadline<T extends HubOptions>(options: T): T {
  if (options.deadlineMs === undefined) return options;
  const deadlineMs = positive(options.deadlineMs, 0, 'deadlineMs');
  const { deadlineMs: _d, ...rest } = options;
  return { ...rest, signal: withDeadline(options.signal, deadlineMs) } as T;
}

function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new HubError(`resolveHubConfig: endpoint "${endpoint}" is not a URL; expected e.g. https://huggingface.co`, {
      cause,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HubError(`resolveHubConfig: endpoint "${endpoint}" must use http or https, got ${url.protocol}`);
  }
  return endpoint.replace(/\/+$/, '');
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new HubError(`resolveHubConfig: ${what} must be a number >= 0, got ${value}`);
  }
  return value;
}

/**
 * Applies defaults and the environment (`HF_TOKEN`, `HF_ENDPOINT`, `HF_HUB_OFFLINE`,
 * `RAVEN_CACHE_ROOT`, `HF_HUB_CACHE`, `HF_HOME`, `XDG_CACHE_HOME`, `HTTP(S)_PROXY`/`NO_PROXY`) to the options of one call. Called by every Hub
 * function at each call, so changing the environment between calls takes effect.
 * @param overrides - Options given by the caller; each takes precedence over the environment.
 * @returns The resolved settings.
 * @throws {HubError} When the endpoint is not an http(s) URL or a number is negative.
 * @example
 * ```ts
 * const config = resolveHubConfig({ offline: true });
 * config.endpoint; // HF_ENDPOINT or 'https://huggingface.co'
 * ```
 */
export function resolveHubConfig(overrides: HubOptions = {}): HubConfig {
  const token =
    overrides.token === false
      ? undefined
      : overrides.token ?? envString('HF_TOKEN') ?? envString('HUGGING_FACE_HUB_TOKEN');
  checkOptions('resolveHubConfig', overrides, HUB_OPTION_KEYS);
  const retry = overrides.retry ?? {};
  const lock = overrides.lock ?? {};
  checkOptions('HubOptions.retry', retry, RETRY_KEYS);
  checkOptions('HubOptions.lock', lock, LOCK_KEYS);
  const deadlineMs = overrides.deadlineMs === undefined ? undefined : positive(overrides.deadlineMs, 0, 'deadlineMs');
  return {
    endpoint: checkEndpoint(overrides.endpoint ?? envString('HF_ENDPOINT') ?? DEFAULT_ENDPOINT),
    token: token || undefined,
    offline: overrides.offline ?? envFlag('HF_HUB_OFFLINE'),
    cacheDir: overrides.cacheDir ?? cacheRoot(),
    retry: {
      maxRetries: Math.floor(positive(retry.maxRetries, 5, 'retry.maxRetries')),
      baseDelayMs: positive(retry.baseDelayMs, 500, 'retry.baseDelayMs'),
      maxDelayMs: positive(retry.maxDelayMs, 8000, 'retry.maxDelayMs'),
      maxElapsedMs: positive(retry.maxElapsedMs, 30_000, 'retry.maxElapsedMs'),
    },
    lock: {
      staleMs: positive(lock.staleMs, 60_000, 'lock.staleMs'),
      pollMs: positive(lock.pollMs, 200, 'lock.pollMs'),
    },
    timeoutMs: positive(overrides.timeoutMs, 10_000, 'timeoutMs'),
    deadlineMs,
    symlinks: overrides.symlinks,
    onProgress: overrides.onProgress,
    signal: deadlineMs === undefined ? overrides.signal : withDeadline(overrides.signal, deadlineMs),
    dispatcher: overrides.dispatcher ?? proxyFromEnv(),
  };
}
