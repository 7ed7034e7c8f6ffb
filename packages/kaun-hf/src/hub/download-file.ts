/**
 * `downloadFile`: one file of a Hub repository, through the cache.
 * @module
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkOptions, type OptionKeys } from '@raven/nx/options';

import { DeadlineExceededError, EntryNotFoundError, NetworkError, OfflineError } from '../errors.js';
import { fetchBlob } from './blob.js';
import { exists, linkPointer, noExistPath, readRef, repoCacheDir, writeAtomic, writeRef } from './cache.js';
import { type HubConfig, type HubOptions, resolveHubConfig } from './config.js';
import { hubRepoId, localModelDir } from './local.js';
import { withLock } from './lock.js';
import { type FileMetadata, fetchFileMetadata } from './metadata.js';
import { checkRepoId, isCommitHash, joinInside, safeSegments } from './paths.js';

/** Options of {@link downloadFile}. */
export interface DownloadFileOptions extends HubOptions {
  /** Repository id (`org/name`) or a local folder in Hugging Face layout. */
  modelId: string;
  /** Path of the file inside the repository (`config.json`, `onnx/model.onnx`). */
  filename: string;
}

const DOWNLOAD_FILE_KEYS: OptionKeys<DownloadFileOptions> = { revision: true, token: true, cacheDir: true, offline: true, endpoint: true, onProgress: true, retry: true, lock: true, timeoutMs: true, deadlineMs: true, symlinks: true, signal: true, dispatcher: true, modelId: true, filename: true };

/** One file request after validation. */
interface FileRequest {
  modelId: string;
  filename: string;
  segments: string[];
  revision: string;
  repoDir: string;
  where: string;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function reportCached(
  config: HubConfig,
  req: { modelId: string; filename: string },
  path: string,
): Promise<string> {
  if (config.onProgress) {
    const size = await sizeOf(path);
    config.onProgress({
      modelId: req.modelId,
      filename: req.filename,
      downloaded: size ?? 0,
      total: size,
      resumedFrom: 0,
      done: true,
      fromCache: true,
    });
  }
  return path;
}

/**
 * Fetches the blob unless it is there, under its lock (re-checked once the lock is held, as
 * another process may just have finished it).
 * @returns Whether bytes were downloaded.
 */
async function fetchLocked(config: HubConfig, req: FileRequest, blob: string, meta: FileMetadata): Promise<boolean> {
  if (await exists(blob)) return false;
  return withLock(`${blob}.lock`, { ...config.lock, signal: config.signal }, async () => {
    if (await exists(blob)) return false;
    const progress = (downloaded: number, total: number | undefined, resumedFrom: number, done: boolean): void =>
      config.onProgress?.({
        modelId: req.modelId,
        filename: req.filename,
        downloaded,
        total,
        resumedFrom,
        done,
        fromCache: false,
      });
    let last = { downloaded: 0, total: meta.size, resumedFrom: 0 };
    await fetchBlob(config, {
      url: meta.location,
      blobPath: blob,
      expectedSize: meta.size,
      sha256: /^[0-9a-f]{64}$/.test(meta.etag) ? meta.etag : undefined,
      where: req.where,
      repoId: req.modelId,
      revision: req.revision,
      filename: req.filename,
      report: (downloaded, total, resumedFrom, done) => {
        last = { downloaded, total, resumedFrom };
        progress(downloaded, total, resumedFrom, done);
      },
    });
    progress(last.downloaded, last.total ?? last.downloaded, last.resumedFrom, true);
    return true;
  });
}

/** The snapshot file of `commit`, or `undefined`; throws when the cache records that the file does not exist. */
async function fromSnapshot(req: FileRequest, commit: string): Promise<string | undefined> {
  const pointer = joinInside(join(req.repoDir, 'snapshots', commit), req.segments, req.where);
  if (await exists(pointer)) return pointer;
  const marker = noExistPath(req.repoDir, commit, req.segments);
  if (await exists(marker)) {
    throw new EntryNotFoundError(
      `${req.where}: file "${req.filename}" does not exist in "${req.modelId}" at commit ${commit} ` +
        `(recorded in the cache at ${marker} when the Hub said so)`,
      { commit },
    );
  }
  return undefined;
}

/** The cached file for a revision (commit, or branch/tag through `refs/`), or `undefined`. */
async function fromCache(req: FileRequest): Promise<string | undefined> {
  const commit = isCommitHash(req.revision) ? req.revision : await readRef(req.repoDir, req.revision, req.where);
  return commit === undefined ? undefined : fromSnapshot(req, commit);
}

/**
 * Downloads one file of a Hub repository into the cache, or finds it there, and returns its path
 * in `snapshots/<commit>/`.
 *
 * A revision that is a 40-hex commit already cached costs no request. A branch or tag is checked
 * with one `HEAD` request (new commits give a new snapshot; unchanged files are linked, not
 * downloaded again); offline it resolves through `refs/`. When the Hub cannot be reached the
 * cached file of the revision is used. Downloads resume after dropped connections, retry on
 * 429/5xx, are verified (size; sha256 for LFS files) and locked against other processes.
 * A local folder as `modelId` is read directly.
 * @param options - See {@link DownloadFileOptions} and {@link HubOptions} for defaults.
 * @returns Absolute path of the file (a symlink into `blobs/`, or a copy where symlinks fail).
 * @throws {UnsafePathError} When `filename` or `revision` would leave the cache folder.
 * @throws {RepositoryNotFoundError} When the repository does not exist or is private without a token.
 * @throws {GatedRepoError} When the repository is gated and the token has no access.
 * @throws {RevisionNotFoundError} When the branch, tag or commit does not exist.
 * @throws {EntryNotFoundError} When the file does not exist at that revision.
 * @throws {OfflineError} When offline and the file is not cached (names the file and the cache folder).
 * @throws {NetworkError} When the Hub cannot be reached after retries and the file is not cached.
 * @throws {IntegrityError} When the bytes do not match the announced size or sha256.
 * @throws {HubDiskFullError} When the disk (or quota, or file size limit) is full; the partial file is removed.
 * @throws {DeadlineExceededError} When `deadlineMs` passed; a partial file is kept for the next call.
 * @throws {HubHttpError} For other error statuses.
 * @example
 * ```ts
 * const path = await downloadFile({ modelId: 'google-bert/bert-base-uncased', filename: 'config.json' });
 * ```
 */
export async function downloadFile(options: DownloadFileOptions): Promise<string> {
  checkOptions('downloadFile', options, DOWNLOAD_FILE_KEYS);
  return fetchFile(options, 'downloadFile');
}

/** {@link downloadFile} with the function name used in messages; callers check the option names. @internal */
export async function fetchFile(options: DownloadFileOptions, where: string): Promise<string> {
  try {
    return await fetchFileAs(options, where);
  } catch (err) {
    // the deadline's timer knows no file: say which call and file it stopped
    if (err instanceof DeadlineExceededError && !err.message.startsWith(`${where}:`)) {
      throw new DeadlineExceededError(`${where}: "${options.filename}" of "${options.modelId}": ${err.message}`, err.deadlineMs, { cause: err });
    }
    throw err;
  }
}

async function fetchFileAs(options: DownloadFileOptions, where: string): Promise<string> {
  const { modelId: _id, filename: _file, ...hub } = options;
  const config = resolveHubConfig(hub);
  const { filename } = options;
  const modelId = hubRepoId(options.modelId);
  const revision = options.revision ?? 'main';
  const segments = safeSegments(filename, 'file name', where, 'argument');

  const local = await localModelDir(options.modelId, where);
  if (local !== undefined) {
    const path = joinInside(local, segments, where);
    if (!(await exists(path))) {
      throw new EntryNotFoundError(`${where}: file "${filename}" is not in the local folder ${local}`);
    }
    return reportCached(config, options, path);
  }

  checkRepoId(modelId, where);
  safeSegments(revision, 'revision', where, 'argument');
  const req: FileRequest = {
    modelId,
    filename,
    segments,
    revision,
    repoDir: repoCacheDir(config.cacheDir, modelId),
    where,
  };

  if (isCommitHash(revision)) {
    const hit = await fromSnapshot(req, revision);
    if (hit !== undefined) return reportCached(config, req, hit);
  }
  if (config.offline) {
    const hit = await fromCache(req);
    if (hit !== undefined) return reportCached(config, req, hit);
    const why = isCommitHash(revision)
      ? `commit ${revision} has no such file in the cache`
      : (await readRef(req.repoDir, revision, where)) === undefined
      ? `no commit is recorded for revision "${revision}" (refs/${revision})`
      : `the commit recorded for "${revision}" has no such file in the cache`;
    throw new OfflineError(
      `${where}: offline mode is on (\`offline\` or HF_HUB_OFFLINE) and "${filename}" of "${modelId}" at revision ` +
        `"${revision}" is not in the cache folder ${req.repoDir} (${why}); download it once online ` +
        `(\`npx kaun-hf download ${modelId} ${filename}\`) or turn offline mode off`,
      { filename, cacheFolder: req.repoDir },
    );
  }

  let meta;
  try {
    meta = await fetchFileMetadata(config, { repoId: modelId, revision, filename, segments, where });
  } catch (err) {
    if (err instanceof EntryNotFoundError && err.commit !== undefined && /^[0-9a-f]{40}$/.test(err.commit)) {
      await writeAtomic(noExistPath(req.repoDir, err.commit, segments), '');
      await writeRef(req.repoDir, revision, err.commit, where);
    }
    if (err instanceof NetworkError) {
      const hit = await fromCache(req);
      if (hit !== undefined) return reportCached(config, req, hit);
      throw new NetworkError(`${err.message}; "${filename}" is not in the cache folder ${req.repoDir} either`, {
        cause: err.cause,
      });
    }
    throw err;
  }

  await writeRef(req.repoDir, revision, meta.commit, where);
  const pointer = joinInside(join(req.repoDir, 'snapshots', meta.commit), segments, where);
  if (await exists(pointer)) return reportCached(config, req, pointer);
  const blobs = join(req.repoDir, 'blobs');
  await mkdir(blobs, { recursive: true });
  const blob = join(blobs, meta.etag);
  const downloaded = await fetchLocked(config, req, blob, meta);
  await linkPointer(blob, pointer, config.symlinks);
  return downloaded ? pointer : reportCached(config, req, pointer);
}

/**
 * Whether a file exists, without downloading it: a local folder is looked at, offline the cache,
 * else one metadata request. Used to probe for files that are not loaded (pickles).
 * @returns `false` when the file is known not to exist; throws like {@link downloadFile} otherwise.
 * @internal
 */
export async function probeFile(options: DownloadFileOptions, where: string): Promise<boolean> {
  const { modelId: _id, filename: _file, ...hub } = options;
  const config = resolveHubConfig(hub);
  const segments = safeSegments(options.filename, 'file name', where, 'argument');
  const local = await localModelDir(options.modelId, where);
  if (local !== undefined) return exists(joinInside(local, segments, where));
  const modelId = checkRepoId(hubRepoId(options.modelId), where);
  const revision = options.revision ?? 'main';
  const req: FileRequest = {
    modelId,
    filename: options.filename,
    segments,
    revision,
    repoDir: repoCacheDir(config.cacheDir, modelId),
    where,
  };
  try {
    if ((await fromCache(req)) !== undefined) return true;
  } catch (err) {
    if (err instanceof EntryNotFoundError) return false;
    throw err;
  }
  if (config.offline) return false;
  try {
    await fetchFileMetadata(config, { repoId: modelId, revision, filename: options.filename, segments, where });
    return true;
  } catch (err) {
    if (err instanceof EntryNotFoundError) return false;
    throw err;
  }
}
