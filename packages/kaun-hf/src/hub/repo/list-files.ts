/**
 * `listRepoTree` / `listRepoFiles`: the files of a repository at a revision
 * (`GET /api/models/{repo}/tree/{revision}[/{path}]`, paginated with `Link: <...>; rel="next"`).
 * @module
 */
import { type OptionKeys } from '@raven/nx/options';

import type { HubConfig } from '../config.js';
import { API_KEYS, apiConfig, type HubApiOptions } from '../api/options.js';
import { type ApiAnswer, apiRequest, malformed, modelApiUrl, type ApiCall } from '../api/request.js';
import { headerValue } from '../http.js';
import { checkRepoId, safeSegments } from '../paths.js';

/** Options of {@link listRepoTree} and {@link listRepoFiles}. */
export interface ListRepoTreeOptions extends HubApiOptions {
  /** Branch, tag or commit. Default `'main'`. */
  revision?: string;
  /** A folder inside the repository to list instead of its root. */
  pathInRepo?: string;
  /** List sub-folders' contents too. Default: false for {@link listRepoTree}, always true for {@link listRepoFiles}. */
  recursive?: boolean;
}

/** One entry of a repository's tree. */
export interface RepoEntry {
  /** `'file'` or `'directory'`. */
  type: 'file' | 'directory';
  /** Path inside the repository, with `/`. */
  path: string;
  /** Size in bytes (files; for LFS files the size of the content, not of the pointer). */
  size: number;
  /** Git object id (for an LFS file, of its pointer). */
  oid: string;
  /** For files stored with LFS: the sha256 and size of the content. */
  lfs?: { sha256: string; size: number };
}

const KEYS: OptionKeys<ListRepoTreeOptions> = { ...API_KEYS, revision: true, pathInRepo: true, recursive: true };

/** Parses `Link: <url>; rel="next"`. */
function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

function parseEntry(raw: unknown, call: ApiCall): RepoEntry {
  const e = raw as Record<string, unknown> | null;
  const type = e?.['type'];
  const path = e?.['path'];
  if ((type !== 'file' && type !== 'directory') || typeof path !== 'string') {
    throw malformed(call, `tree entry ${JSON.stringify(raw)?.slice(0, 120)}`);
  }
  safeSegments(path, 'path', call.where, 'server');
  const entry: RepoEntry = {
    type,
    path,
    size: typeof e?.['size'] === 'number' ? (e['size'] as number) : 0,
    oid: typeof e?.['oid'] === 'string' ? (e['oid'] as string) : '',
  };
  const lfs = e?.['lfs'] as { oid?: unknown; size?: unknown } | undefined;
  if (lfs && typeof lfs.oid === 'string' && typeof lfs.size === 'number') entry.lfs = { sha256: lfs.oid, size: lfs.size };
  return entry;
}

/** {@link listRepoTree} on resolved settings. @internal */
export async function listTreeWith(
  config: HubConfig,
  repoId: string,
  opts: { revision: string; pathInRepo?: string; recursive: boolean },
  where: string,
): Promise<RepoEntry[]> {
  safeSegments(opts.revision, 'revision', where, 'argument');
  const folder =
    opts.pathInRepo === undefined || opts.pathInRepo.replace(/^\/+|\/+$/g, '') === ''
      ? ''
      : `/${safeSegments(opts.pathInRepo.replace(/^\/+|\/+$/g, ''), 'path', where, 'argument')
          .map(encodeURIComponent)
          .join('/')}`;
  const call: ApiCall = { where, repoId, revision: opts.revision, action: `list the files of "${repoId}" at "${opts.revision}"` };
  let url: string | undefined =
    modelApiUrl(config, repoId, `/tree/${encodeURIComponent(opts.revision)}${folder}`) +
    (opts.recursive ? '?recursive=true' : '');
  const out: RepoEntry[] = [];
  const origin = new URL(config.endpoint).origin;
  for (let page = 0; url !== undefined; page++) {
    const answer: ApiAnswer<unknown> = await apiRequest<unknown>(config, { method: 'GET', url }, call);
    const { data, response } = answer;
    if (!Array.isArray(data)) throw malformed(call, 'the tree is not a list');
    for (const raw of data) out.push(parseEntry(raw, call));
    const next = nextLink(headerValue(response.headers, 'link'));
    url = next === undefined ? undefined : new URL(next, response.url).href;
    if (url !== undefined && new URL(url).origin !== origin) throw malformed(call, `next page on another host: ${url}`);
    if (page > 100_000) throw malformed(call, 'endless pagination');
  }
  return out;
}

/**
 * Lists a repository's tree at a revision (huggingface_hub's `list_repo_tree`): files with size,
 * git object id and LFS sha256, and folders; every page of a long listing is fetched.
 * @param repoId - `namespace/name`.
 * @param options - See {@link ListRepoTreeOptions}.
 * @returns The entries, in the Hub's order.
 * @throws {OptionError} For an unknown option name.
 * @throws {RepositoryNotFoundError} / {RevisionNotFoundError} / {EntryNotFoundError} (no such folder).
 * @throws {UnsafePathError} When the server names a path that would leave the repository.
 * @example
 * ```ts
 * for (const e of await listRepoTree('org/name', { recursive: true })) console.log(e.type, e.path, e.size);
 * ```
 */
export async function listRepoTree(repoId: string, options: ListRepoTreeOptions = {}): Promise<RepoEntry[]> {
  const config = apiConfig('listRepoTree', options, KEYS);
  checkRepoId(repoId, 'listRepoTree', '');
  return listTreeWith(
    config,
    repoId,
    {
      revision: options.revision ?? 'main',
      ...(options.pathInRepo !== undefined ? { pathInRepo: options.pathInRepo } : {}),
      recursive: options.recursive ?? false,
    },
    'listRepoTree',
  );
}

/**
 * Lists the paths of every file of a repository at a revision (huggingface_hub's `list_repo_files`).
 * @param repoId - `namespace/name`.
 * @param options - See {@link ListRepoTreeOptions} (`recursive` is always on).
 * @returns File paths with `/`, in the Hub's order.
 * @throws As {@link listRepoTree}.
 * @example
 * ```ts
 * const files = await listRepoFiles('org/name', { revision: 'dev' });
 * ```
 */
export async function listRepoFiles(repoId: string, options: ListRepoTreeOptions = {}): Promise<string[]> {
  const config = apiConfig('listRepoFiles', options, KEYS);
  checkRepoId(repoId, 'listRepoFiles', '');
  const entries = await listTreeWith(
    config,
    repoId,
    {
      revision: options.revision ?? 'main',
      ...(options.pathInRepo !== undefined ? { pathInRepo: options.pathInRepo } : {}),
      recursive: true,
    },
    'listRepoFiles',
  );
  return entries.filter((e) => e.type === 'file').map((e) => e.path);
}
