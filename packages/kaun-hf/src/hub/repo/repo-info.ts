/**
 * `repoInfo`: what the Hub says about a model repository at a revision
 * (`GET /api/models/{repo}[/revision/{revision}]`).
 * @module
 */
import { type OptionKeys } from '@raven/nx/options';

import type { HubConfig } from '../config.js';
import { API_KEYS, apiConfig, type HubApiOptions } from '../api/options.js';
import { apiRequest, malformed, modelApiUrl, type ApiCall } from '../api/request.js';
import { checkRepoId, safeSegments } from '../paths.js';

/** Options of {@link repoInfo}. */
export interface RepoInfoOptions extends HubApiOptions {
  /** Branch, tag or commit. Default: the repository's default branch. */
  revision?: string;
}

/** A model repository at one revision. */
export interface RepoInfo {
  /** Full id `namespace/name`. */
  id: string;
  /** The commit the revision resolves to (40 hex digits). */
  sha: string;
  /** Whether only its owner (and organisation) can see it. */
  private: boolean;
  /** Whether access must be requested (`false`, `'auto'` or `'manual'`). */
  gated: false | 'auto' | 'manual';
  /** Paths of its files at that commit, as the Hub lists them (`siblings`). */
  files: string[];
  /** Last change, as the Hub reports it (ISO 8601), when it does. */
  lastModified: string | undefined;
}

const KEYS: OptionKeys<RepoInfoOptions> = { ...API_KEYS, revision: true };

/** {@link repoInfo} on resolved settings. @internal */
export async function repoInfoWith(
  config: HubConfig,
  repoId: string,
  revision: string | undefined,
  where: string,
): Promise<RepoInfo> {
  if (revision !== undefined) safeSegments(revision, 'revision', where, 'argument');
  const call: ApiCall = {
    where,
    repoId,
    ...(revision !== undefined ? { revision } : {}),
    action: `read the information of "${repoId}"${revision !== undefined ? ` at "${revision}"` : ''}`,
  };
  const suffix = revision === undefined ? '' : `/revision/${encodeURIComponent(revision)}`;
  const { data } = await apiRequest<Record<string, unknown>>(
    config,
    { method: 'GET', url: modelApiUrl(config, repoId, suffix) },
    call,
  );
  if (data === null || typeof data !== 'object') throw malformed(call, 'not a JSON object');
  const sha = data['sha'];
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) throw malformed(call, `"sha" is ${JSON.stringify(sha)}`);
  const siblings = Array.isArray(data['siblings']) ? (data['siblings'] as unknown[]) : [];
  const gated = data['gated'];
  return {
    id: typeof data['id'] === 'string' ? data['id'] : repoId,
    sha,
    private: data['private'] === true,
    gated: gated === 'auto' || gated === 'manual' ? gated : false,
    files: siblings
      .map((s) => (s as { rfilename?: unknown } | null)?.rfilename)
      .filter((f): f is string => typeof f === 'string'),
    lastModified: typeof data['lastModified'] === 'string' ? data['lastModified'] : undefined,
  };
}

/**
 * Reads what the Hub says about a model repository at a revision: the commit it resolves to,
 * its visibility and its files (huggingface_hub's `repo_info`/`model_info`).
 * @param repoId - `namespace/name`.
 * @param options - See {@link RepoInfoOptions}.
 * @returns See {@link RepoInfo}.
 * @throws {OptionError} For an unknown option name.
 * @throws {RepositoryNotFoundError} When it does not exist or is private without a token that may see it.
 * @throws {RevisionNotFoundError} When the revision does not exist.
 * @example
 * ```ts
 * const info = await repoInfo('google-bert/bert-base-uncased');
 * console.log(info.sha, info.files.length);
 * ```
 */
export async function repoInfo(repoId: string, options: RepoInfoOptions = {}): Promise<RepoInfo> {
  const config = apiConfig('repoInfo', options, KEYS);
  checkRepoId(repoId, 'repoInfo', '');
  return repoInfoWith(config, repoId, options.revision, 'repoInfo');
}
