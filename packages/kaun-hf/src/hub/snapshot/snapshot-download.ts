/**
 * `snapshotDownload`: every file of a repository at a revision (filtered by patterns) into the
 * cache, a bounded number at once, returning the snapshot folder.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { checkOptions, type OptionKeys } from '@raven/nx/options';

import {
  HubError,
  GatedRepoError,
  HubHttpError,
  IncompleteSnapshotError,
  LocalEntryNotFoundError,
  NetworkError,
  OfflineError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
} from '../../errors.js';
import { exists, readRef, repoCacheDir, writeRef } from '../cache.js';
import { type HubOptions, resolveHubConfig, startDeadline } from '../config.js';
import { fetchFile } from '../download-file.js';
import { HF_SCHEME, hubRepoId, localModelDir } from '../local.js';
import { checkRepoId, isCommitHash, joinInside, safeSegments } from '../paths.js';
import { mapPool } from '../pool.js';
import { listTreeWith } from '../repo/list-files.js';
import { repoInfoWith } from '../repo/repo-info.js';
import { filterPaths, patternList } from '../upload/patterns.js';
import { readTreeCache, writeTreeCache } from './tree-cache.js';

/** Options of {@link snapshotDownload}. */
export interface SnapshotDownloadOptions extends HubOptions {
  /** Download only files matching one of these (`*.json`, `onnx/*`; `*` matches `/` too; `dir/` a folder). */
  allowPatterns?: string | string[];
  /** Leave out files matching one of these. */
  ignorePatterns?: string | string[];
  /** Files downloaded at once. Default 8 (huggingface_hub's `max_workers`). */
  concurrency?: number;
}

const KEYS: OptionKeys<SnapshotDownloadOptions> = {
  revision: true,
  token: true,
  cacheDir: true,
  offline: true,
  endpoint: true,
  onProgress: true,
  retry: true,
  lock: true,
  timeoutMs: true,
  deadlineMs: true,
  symlinks: true,
  signal: true,
  dispatcher: true,
  allowPatterns: true,
  ignorePatterns: true,
  concurrency: true,
};

/** Whether an error of the metadata call means "use the cache if possible" rather than "stop". */
function fallsBackToCache(err: unknown): boolean {
  if (err instanceof NetworkError) return true;
  if (err instanceof RevisionNotFoundError || err instanceof RepositoryNotFoundError || err instanceof GatedRepoError) return false;
  return err instanceof HubHttpError && err.status !== undefined && (err.status >= 500 || err.status === 429);
}

/**
 * Downloads every file of a repository at a revision into the cache and returns the snapshot
 * folder (huggingface_hub's `snapshot_download`, same cache layout, so either tool finds what the
 * other fetched). The revision is resolved to a commit once (`repoInfo`), the commit's file list
 * read (`listRepoTree`, recorded in `trees/<commit>.json` as huggingface_hub does), filtered by
 * the patterns, and the files fetched `concurrency` at a time through `downloadFile` (resumed,
 * verified, locked). Files already in the snapshot cost no request, so an interrupted call run
 * again fetches only what is missing.
 *
 * Offline (or when the Hub cannot be reached), the snapshot the cache records for the revision
 * is returned if it holds every file of the recorded list that the patterns keep.
 * A `repoId` that names an existing local folder returns that folder; `hf://org/name` always
 * means the Hub.
 * @param repoId - `namespace/name`, `hf://namespace/name`, or a local folder.
 * @param options - See {@link SnapshotDownloadOptions} and {@link HubOptions}.
 * @returns Absolute path of `snapshots/<commit>` in the cache (or the local folder).
 * @throws {OptionError} For an unknown option name.
 * @throws {RepositoryNotFoundError} / {GatedRepoError} / {RevisionNotFoundError} As the Hub answers.
 * @throws {OfflineError} Offline, when no snapshot of the revision is cached.
 * @throws {IncompleteSnapshotError} Offline or unreachable, when the cached snapshot lacks files.
 * @throws {NetworkError} When the Hub cannot be reached and nothing is cached.
 * @throws As {@link downloadFile} for each file.
 * @example
 * ```ts
 * const folder = await snapshotDownload('google-bert/bert-base-uncased', { allowPatterns: ['*.json', '*.safetensors', 'vocab.txt'] });
 * ```
 */
export async function snapshotDownload(repoId: string, options: SnapshotDownloadOptions = {}): Promise<string> {
  return (await downloadSnapshot(repoId, options, 'snapshotDownload')).folder;
}

/** What {@link downloadSnapshot} fetched or found. @internal */
export interface SnapshotFiles {
  /** The snapshot folder (or the local folder). */
  folder: string;
  /** The files of the snapshot the patterns kept (all files of a local folder are not listed: empty). */
  files: string[];
}

/** {@link snapshotDownload} with the caller's name, also returning the files. @internal */
export async function downloadSnapshot(repoId: string, options: SnapshotDownloadOptions, where: string): Promise<SnapshotFiles> {
  checkOptions(where, options, KEYS);
  const { allowPatterns, ignorePatterns, concurrency = 8, ...own } = options;
  const hub = startDeadline(own); // one deadline for the listing and every file
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new HubError(`${where}: concurrency must be an integer >= 1, got ${concurrency}`);
  }
  const local = await localModelDir(repoId, where);
  if (local !== undefined) return { folder: local, files: [] };
  const id = checkRepoId(hubRepoId(repoId), where);
  const config = resolveHubConfig(hub);
  const revision = hub.revision ?? 'main';
  safeSegments(revision, 'revision', where, 'argument');
  const repoDir = repoCacheDir(config.cacheDir, id);
  const allow = patternList(allowPatterns);
  const ignore = patternList(ignorePatterns);

  let commit = isCommitHash(revision) ? revision : undefined;
  let apiError: unknown;
  if (commit === undefined && !config.offline) {
    try {
      commit = (await repoInfoWith(config, id, revision, where)).sha;
    } catch (err) {
      if (!fallsBackToCache(err)) throw err;
      apiError = err;
    }
  }

  if (commit === undefined || config.offline) {
    commit ??= await readRef(repoDir, revision, where);
    const folder = commit === undefined ? undefined : join(repoDir, 'snapshots', commit);
    if (commit !== undefined && folder !== undefined && (await exists(folder))) {
      const tree = await readTreeCache(repoDir, commit);
      let kept: string[] = [];
      if (tree !== undefined) {
        const missing: string[] = [];
        kept = filterPaths([...tree.keys()], allow, ignore);
        for (const path of kept) {
          if (!(await exists(joinInside(folder, safeSegments(path, 'file name', where, 'server'), where)))) missing.push(path);
        }
        if (missing.length > 0) {
          const sample = missing.slice(0, 3).join(', ') + (missing.length > 3 ? `, ... (${missing.length - 3} more)` : '');
          const reason = apiError !== undefined ? `the Hub could not be reached (${(apiError as Error).message})` : 'offline mode is on';
          throw new IncompleteSnapshotError(
            `${where}: the cached snapshot of "${id}" (revision "${revision}", commit ${commit}) is incomplete: ` +
              `${missing.length} file(s) missing (${sample}); ${reason}; run snapshotDownload again online to complete it`,
            { filename: missing[0] as string, cacheFolder: repoDir, missing },
            { cause: apiError },
          );
        }
      }
      return { folder, files: kept };
    }
    if (config.offline) {
      throw new OfflineError(
        `${where}: offline mode is on (\`offline\` or HF_HUB_OFFLINE) and no snapshot of "${id}" at revision ` +
          `"${revision}" is in the cache folder ${repoDir}; download it once online (\`npx kaun-hf download ${id}\`)`,
        { filename: '', cacheFolder: repoDir },
      );
    }
    if (apiError instanceof NetworkError) {
      throw new NetworkError(`${apiError.message}; no snapshot of "${id}" at "${revision}" is in ${repoDir} either`, { cause: apiError.cause });
    }
    throw new LocalEntryNotFoundError(
      `${where}: the Hub failed (${(apiError as Error).message}) and no snapshot of "${id}" at "${revision}" is in ${repoDir}`,
      { filename: '', cacheFolder: repoDir },
    );
  }

  let tree = await readTreeCache(repoDir, commit);
  if (tree === undefined) {
    const entries = await listTreeWith(config, id, { revision: commit, recursive: true }, where);
    await writeTreeCache(repoDir, commit, entries);
    tree = new Map(entries.filter((e) => e.type === 'file').map((e) => [e.path, { size: e.size, blobId: e.oid }]));
  }
  if (!isCommitHash(revision)) await writeRef(repoDir, revision, commit, where);
  const files = filterPaths([...tree.keys()], allow, ignore);
  const folder = join(repoDir, 'snapshots', commit);
  // hf:// so that a local folder named like the repository never stands in for it
  await mapPool(files, concurrency, (filename) => fetchFile({ ...hub, modelId: `${HF_SCHEME}${id}`, filename, revision: commit }, where));
  await mkdir(folder, { recursive: true });
  return { folder, files };
}
