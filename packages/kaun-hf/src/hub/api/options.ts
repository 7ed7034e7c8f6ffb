/**
 * The options every Hub API call (repositories, uploads, commits) takes, and resolving them.
 * @module
 */
import type { Dispatcher } from 'undici';

import { checkOptions, type OptionKeys } from '@raven/nx/options';

import { AuthenticationError, HubError } from '../../errors.js';
import { type HubConfig, type RetryOptions, resolveHubConfig } from '../config.js';

/** Options shared by the Hub's API calls: who is calling and how to reach the Hub. */
export interface HubApiOptions {
  /**
   * Access token sent as `Authorization: Bearer` to the endpoint's host only (never to a storage
   * host an upload goes to, never after a redirect to another host). Default: `HF_TOKEN` (or the
   * legacy `HUGGING_FACE_HUB_TOKEN`). `false` sends none. Calls that write need one.
   */
  token?: string | false;
  /** Hub address (a mirror works). Default: `HF_ENDPOINT` read at call time, else `https://huggingface.co`. */
  endpoint?: string;
  /** Refuse to use the network (these calls then fail). Default: `HF_HUB_OFFLINE` (1/true/yes/on). */
  offline?: boolean;
  /** Retry settings for 408/429/5xx and dropped connections (a commit itself is never retried). */
  retry?: RetryOptions;
  /** Time limit (ms) for response headers and for each gap between body chunks. Default 30000. */
  timeoutMs?: number;
  /** Aborts the call. */
  signal?: AbortSignal;
  /** undici dispatcher for every request. Default: a proxy agent from `HTTP(S)_PROXY`, else undici's global one. */
  dispatcher?: Dispatcher;
}

/** The keys of {@link HubApiOptions}, for `checkOptions`. @internal */
export const API_KEYS: OptionKeys<HubApiOptions> = {
  token: true,
  endpoint: true,
  offline: true,
  retry: true,
  timeoutMs: true,
  signal: true,
  dispatcher: true,
};

/**
 * Checks option names (`checkOptions`) and resolves the settings of one API call.
 * @throws {OptionError} For an unknown option name.
 * @throws {HubError} When offline mode is on: these calls need the network. @internal
 */
export function apiConfig<T extends HubApiOptions>(
  where: string,
  options: T | undefined,
  keys: OptionKeys<T>,
): HubConfig {
  checkOptions(where, options, keys);
  const o: HubApiOptions = options ?? {};
  const config = resolveHubConfig({
    ...(o.token !== undefined ? { token: o.token } : {}),
    ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
    ...(o.offline !== undefined ? { offline: o.offline } : {}),
    ...(o.retry !== undefined ? { retry: o.retry } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
    ...(o.dispatcher !== undefined ? { dispatcher: o.dispatcher } : {}),
  });
  if (config.offline) {
    throw new HubError(
      `${where}: offline mode is on (\`offline\` or HF_HUB_OFFLINE=1) and this call needs the Hub; ` +
        `turn offline mode off (unset HF_HUB_OFFLINE)`,
    );
  }
  return config;
}

/**
 * Throws before any request when no token is set: writing to the Hub always needs one.
 * @throws {AuthenticationError} Naming what needed it and how to set one. @internal
 */
export function requireToken(config: HubConfig, where: string, action: string): void {
  if (config.token !== undefined) return;
  throw new AuthenticationError(
    `${where}: ${action} needs an access token with write access and none is set; make one at ` +
      `https://huggingface.co/settings/tokens and set HF_TOKEN (or pass \`token\`)`,
  );
}
