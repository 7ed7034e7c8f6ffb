/**
 * `createRepo`: a new model repository on the Hub (`POST /api/repos/create`).
 * @module
 */
import { type OptionKeys } from '@raven/nx/options';

import { HubHttpError } from '../../errors.js';
import { API_KEYS, apiConfig, type HubApiOptions, requireToken } from '../api/options.js';
import { apiRequest, type ApiCall } from '../api/request.js';
import { checkRepoId } from '../paths.js';
import { repoInfoWith } from './repo-info.js';

/** Options of {@link createRepo}. */
export interface CreateRepoOptions extends HubApiOptions {
  /** Make the repository private (visible to its owner and organisation only). Default: the Hub's default (public). */
  private?: boolean;
  /** Succeed when the repository exists already (as huggingface_hub's `exist_ok`). Default false. */
  existOk?: boolean;
}

/** Where a repository lives. */
export interface RepoUrl {
  /** Its page, e.g. `https://huggingface.co/org/name`. */
  url: string;
  /** Its full id `namespace/name` (the Hub adds the token owner's namespace to a bare name). */
  repoId: string;
}

const KEYS: OptionKeys<CreateRepoOptions> = { ...API_KEYS, private: true, existOk: true };

function repoUrlOf(url: string, endpoint: string, fallback: string): RepoUrl {
  const path = url.startsWith(endpoint) ? url.slice(endpoint.length) : new URL(url).pathname;
  const id = path.replace(/^\/+|\/+$/g, '');
  return { url, repoId: id.split('/').length === 2 ? id : fallback };
}

/**
 * Creates a model repository. As huggingface_hub's `create_repo`: a bare `name` is created in
 * the token owner's namespace; with `existOk`, an existing repository is fine (409), and so is a
 * refusal to create (401/403, e.g. a token that may write to a repository but not create one)
 * when the repository can be seen to exist.
 * @param repoId - `namespace/name`, or `name` for the token owner's namespace.
 * @param options - See {@link CreateRepoOptions}.
 * @returns The repository's address and full id.
 * @throws {OptionError} For an unknown option name.
 * @throws {HubError} For a malformed repository id (before any request).
 * @throws {AuthenticationError} Without a token, or when the Hub refuses it.
 * @throws {PermissionDeniedError} When the token may not create repositories in that namespace.
 * @throws {ConflictError} When the repository exists and `existOk` is not set.
 * @example
 * ```ts
 * const { repoId, url } = await createRepo('my-org/spam-bert', { private: true, existOk: true });
 * ```
 */
export async function createRepo(repoId: string, options: CreateRepoOptions = {}): Promise<RepoUrl> {
  const where = 'createRepo';
  const config = apiConfig(where, options, KEYS);
  checkRepoId(repoId, where, '');
  requireToken(config, where, `creating repository "${repoId}"`);
  const [organization, name] = repoId.includes('/') ? (repoId.split('/') as [string, string]) : [undefined, repoId];
  const json: Record<string, unknown> = { name, organization: organization ?? null };
  if (options.private !== undefined) json['visibility'] = options.private ? 'private' : 'public';
  const call: ApiCall = { where, repoId, action: `create repository "${repoId}"` };
  try {
    const { data } = await apiRequest<{ url?: unknown }>(
      config,
      { method: 'POST', url: `${config.endpoint}/api/repos/create`, json },
      call,
    );
    const url = typeof data?.url === 'string' ? data.url : `${config.endpoint}/${repoId}`;
    return repoUrlOf(url, config.endpoint, repoId);
  } catch (err) {
    if (!options.existOk || !(err instanceof HubHttpError)) throw err;
    if (err.status === 409) return { url: `${config.endpoint}/${repoId}`, repoId };
    if (err.status === 401 || err.status === 402 || err.status === 403) {
      try {
        const info = await repoInfoWith(config, repoId, undefined, where);
        return { url: `${config.endpoint}/${info.id}`, repoId: info.id };
      } catch {
        throw err;
      }
    }
    throw err;
  }
}
