/**
 * Downloads one blob into `blobs/<etag>.raven.incomplete`, resuming with `Range` after a dropped
 * connection (starting over when the server answers 200), verifies its size and, for LFS files,
 * its sha256, then renames it to `blobs/<etag>`. The caller holds the blob's lock.
 *
 * The partial file has its own name, not huggingface_hub's `<etag>.incomplete`: Python guards
 * that name with an `flock` lock (in `.locks/`) that Node cannot take without a native addon, so
 * sharing it would let a Python and a Raven process append to one file at once (for non-LFS files
 * only the size is checked, so a mix could pass). With separate names, a download racing a
 * Python one costs only bandwidth: each writes its own partial file and the rename into
 * `blobs/<etag>` is atomic (current huggingface_hub writes `<etag>.<8 hex>.incomplete` per process
 * for the same reason). A partial file Python left is not resumed.
 *
 * A full disk (ENOSPC, EDQUOT) or a file size limit (EFBIG) removes the partial file and throws a
 * `HubDiskFullError` saying how many bytes the file needs and how many are free.
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rename, stat, statfs, truncate, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

import { DeadlineExceededError, HubDiskFullError, HubError, IntegrityError, NetworkError } from '../errors.js';
import type { HubConfig } from './config.js';
import { headerValue, isAbort, retryDelayMs, sendFollowing, sleep, withinRetryWindow } from './http.js';
import { hubErrorFromResponse } from './http-errors.js';

/** One blob to fetch. */
export interface BlobJob {
  /** Address to GET (the CDN `Location`, or the resolve address). */
  url: string;
  /** Final path `blobs/<etag>`. */
  blobPath: string;
  /** Size announced by the metadata request. */
  expectedSize: number | undefined;
  /** Expected sha256 (hex) for LFS files, whose ETag is their sha256. */
  sha256: string | undefined;
  /** Function name for messages. */
  where: string;
  /** Repository id, revision and file, for messages. */
  repoId: string;
  revision: string;
  filename: string;
  /** Progress: bytes on disk, total, bytes resumed from, done. */
  report: (downloaded: number, total: number | undefined, resumedFrom: number, done: boolean) => void;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashPrefix(path: string): Promise<Hash> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/** Parses `Content-Range: bytes START-END/TOTAL`. */
function contentRange(value: string | undefined): { start: number; total: number | undefined } | undefined {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

class WriteFailure extends HubError {}

/** Suffix of a partial download: `blobs/<etag>.raven.incomplete` (see the module's note). */
export const PARTIAL_SUFFIX = '.raven.incomplete';

/** The error codes of "no room for this file": disk full, quota, file size limit. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

function fsCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

const MB = (n: number): string => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;

/** Removes the partial file and describes the missing room: the file's size and the free bytes. */
async function noRoom(job: BlobJob, partial: string, written: number, total: number | undefined, cause: unknown): Promise<HubDiskFullError> {
  await unlink(partial).catch(() => undefined);
  const free = await freeBytes(dirname(partial));
  const code = fsCode(cause);
  const what = code === 'EFBIG' ? 'the file size limit of this process (ulimit -f) or of the file system was reached' : code === 'EDQUOT' ? 'the disk quota is exceeded' : 'no space is left on the device';
  const need = total === undefined ? `(size not announced; ${MB(written)} were written)` : `needs ${MB(total)} (${total} bytes; ${MB(written)} were written)`;
  const have = free === undefined ? '' : `, ${MB(free)} are free there now`;
  return new HubDiskFullError(
    `${job.where}: ${what} while downloading "${job.filename}" of "${job.repoId}" into ${dirname(partial)}: the file ${need}${have}. ` +
      `The partial file was removed; free some space (\`npx kaun-hf cache ls\` shows what the cache holds) or choose another cacheDir, and retry`,
    { path: partial, bytesNeeded: total, bytesFree: free },
    { cause },
  );
}

/**
 * Fetches `job` into its blob path.
 * @throws {IntegrityError} When size or sha256 do not match (the partial file is deleted).
 * @throws {NetworkError} When the connection keeps dropping without progress.
 * @throws {HubHttpError} When the server answers an error status.
 */
export async function fetchBlob(config: HubConfig, job: BlobJob): Promise<void> {
  const partial = `${job.blobPath}${PARTIAL_SUFFIX}`;
  let offset = await sizeOf(partial);
  if (job.expectedSize !== undefined && offset > job.expectedSize) {
    await truncate(partial, 0);
    offset = 0;
  }
  let hash: Hash | undefined = job.sha256 ? (offset > 0 ? await hashPrefix(partial) : createHash('sha256')) : undefined;
  let resumedFrom = offset;
  let total = job.expectedSize;
  let failures = 0;
  let lastProgress = Date.now();
  let verifiedFromScratch = offset === 0;
  const restart = async (): Promise<void> => {
    await truncate(partial, 0).catch(() => undefined);
    offset = 0;
    resumedFrom = 0;
    verifiedFromScratch = true;
    if (job.sha256) hash = createHash('sha256');
  };

  for (;;) {
    if (total !== undefined && offset === total && offset > 0) {
      // everything is on disk (a leftover .incomplete was complete): verify below
    } else {
      const done = await fetchOnce();
      if (!done) continue;
    }
    job.report(offset, total, resumedFrom, false);
    const problem = await verify();
    if (problem === undefined) break;
    if (!verifiedFromScratch) {
      await restart(); // the bytes kept from an earlier attempt were bad: try once from zero
      continue;
    }
    await unlink(partial).catch(() => undefined);
    throw new IntegrityError(
      `${job.where}: "${job.filename}" from "${job.repoId}" (revision "${job.revision}") ${problem}; ` +
        `the partial file was deleted; retry, and report it to the repository owner if it persists`,
    );
  }
  await rename(partial, job.blobPath);

  async function verify(): Promise<string | undefined> {
    const size = await sizeOf(partial);
    if (job.expectedSize !== undefined && size !== job.expectedSize) {
      return `has ${size} bytes but the Hub announced ${job.expectedSize}`;
    }
    if (job.sha256 && hash) {
      const got = hash.digest('hex');
      if (got !== job.sha256) return `has sha256 ${got} but the Hub announced ${job.sha256}`;
    }
    return undefined;
  }

  /** One GET; returns false when it must be tried again (dropped connection, range mismatch). */
  async function fetchOnce(): Promise<boolean> {
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const res = await sendFollowing('GET', job.url, headers, config, {
      where: job.where,
      retryUnreachable: true,
      relativeOnly: false,
    });
    if (res.status === 200 && offset > 0) await restart(); // server ignored Range: start over
    else if (res.status === 206) {
      const range = contentRange(headerValue(res.headers, 'content-range'));
      if (range === undefined || range.start !== offset) {
        await res.body.dump().catch(() => undefined);
        await restart();
        return false;
      }
      total ??= range.total;
    } else if (res.status === 416 && offset > 0) {
      await res.body.dump().catch(() => undefined);
      await restart();
      return false;
    } else if (res.status !== 200) {
      const body = await res.body.text().catch(() => '');
      throw hubErrorFromResponse(
        { status: res.status, url: res.url, headers: res.headers, body },
        {
          where: job.where,
          repoId: job.repoId,
          revision: job.revision,
          filename: job.filename,
          endpoint: config.endpoint,
          sentToken: config.token !== undefined,
          isRepoUrl: new URL(res.url).origin === new URL(config.endpoint).origin,
        },
      );
    }
    if (res.status === 200) {
      const length = headerValue(res.headers, 'content-length');
      if (total === undefined && length !== undefined && /^\d+$/.test(length)) total = Number(length);
    }
    job.report(offset, total, resumedFrom, false);

    let fh: FileHandle;
    try {
      fh = await open(partial, offset > 0 ? 'a' : 'w');
    } catch (cause) {
      await res.body.dump().catch(() => undefined);
      if (NO_ROOM.has(fsCode(cause) ?? '')) throw await noRoom(job, partial, offset, total, cause);
      throw cause;
    }
    const before = offset;
    try {
      for await (const chunk of res.body) {
        const bytes = chunk as Buffer;
        if (total !== undefined && offset + bytes.length > total) {
          throw new IntegrityError(
            `${job.where}: "${job.filename}" from "${job.repoId}": the server sent more than the ${total} bytes announced`,
          );
        }
        try {
          await fh.write(bytes);
        } catch (cause) {
          if (NO_ROOM.has(fsCode(cause) ?? '')) throw await noRoom(job, partial, offset, total, cause);
          throw new WriteFailure(`${job.where}: could not write ${partial}: ${(cause as Error).message}`, { cause });
        }
        hash?.update(bytes);
        offset += bytes.length;
        job.report(offset, total, resumedFrom, false);
      }
      if (total !== undefined && offset < total) throw new Error(`body ended after ${offset} of ${total} bytes`);
      try {
        await fh.sync();
      } catch (cause) {
        if (NO_ROOM.has(fsCode(cause) ?? '')) throw await noRoom(job, partial, offset, total, cause);
        throw cause;
      }
      return true;
    } catch (err) {
      res.body.destroy();
      if (err instanceof DeadlineExceededError || (isAbort(err, config) && config.signal?.reason instanceof DeadlineExceededError)) {
        const d = err instanceof DeadlineExceededError ? err : (config.signal!.reason as DeadlineExceededError);
        throw new DeadlineExceededError(
          `${job.where}: downloading "${job.filename}" from "${job.repoId}": ${d.message} ` +
            `(${offset}${total === undefined ? '' : ` of ${total}`} bytes kept in ${partial}; a later call resumes from there)`,
          d.deadlineMs,
          { cause: d },
        );
      }
      if (err instanceof HubError || isAbort(err, config)) {
        if (err instanceof IntegrityError) await unlink(partial).catch(() => undefined);
        throw err;
      }
      if (offset > before) lastProgress = Date.now();
      failures = offset > before ? 1 : failures + 1; // progress resets the count
      const wait = retryDelayMs(failures - 1, config);
      if (failures > config.retry.maxRetries || !withinRetryWindow(lastProgress, wait, config)) {
        throw new NetworkError(
          `${job.where}: downloading "${job.filename}" from "${job.repoId}" failed ${failures} times in a row ` +
            `(${offset} bytes kept in ${partial}; a later call resumes from there): ${(err as Error).message}`,
          { cause: err },
        );
      }
      await sleep(wait, config.signal);
      return false;
    } finally {
      await fh.close();
    }
  }
}
