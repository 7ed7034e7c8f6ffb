/**
 * Atomic file writes: write to a temporary file in the destination's folder, fsync, rename over
 * the destination. A failure (or a kill) mid-write leaves the old file intact; a failure removes
 * the temporary file, and the next write into the folder removes what a killed writer left.
 * @module
 */
import { open, rename, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { DiskFullError, ValueError } from '../errors.js';
import { faultPoint } from './fault.js';
import { removeStaleTemporaries, tempPath } from './owner.js';

/** Sequential writes to a file handle, coalescing small chunks into one buffer. */
export class ChunkWriter {
  private readonly staging: Uint8Array;
  private used = 0;
  /** Bytes accepted so far. */
  written = 0;

  /** Wraps an open handle; `bufferSize` (default 4 MiB) is the coalescing buffer. */
  constructor(private readonly handle: FileHandle, bufferSize = 4 << 20) {
    this.staging = new Uint8Array(bufferSize);
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.byteLength) {
      const { bytesWritten } = await this.handle.write(bytes, off, bytes.byteLength - off);
      if (bytesWritten <= 0) throw new Error('write made no progress');
      off += bytesWritten;
    }
  }

  /** Appends `bytes` (copied into the staging buffer when small, else written directly). */
  async write(bytes: Uint8Array): Promise<void> {
    this.written += bytes.byteLength;
    if (this.used + bytes.byteLength <= this.staging.byteLength) {
      this.staging.set(bytes, this.used);
      this.used += bytes.byteLength;
      return;
    }
    await this.flush();
    if (bytes.byteLength * 2 <= this.staging.byteLength) {
      this.staging.set(bytes, 0);
      this.used = bytes.byteLength;
    } else {
      await this.writeAll(bytes);
    }
  }

  /** Writes `bytes` at `position` (after writing out what is staged); the sequential position is unchanged. */
  async writeAt(bytes: Uint8Array, position: number): Promise<void> {
    await this.flush();
    let off = 0;
    while (off < bytes.byteLength) {
      const { bytesWritten } = await this.handle.write(bytes, off, bytes.byteLength - off, position + off);
      if (bytesWritten <= 0) throw new Error('write made no progress');
      off += bytesWritten;
    }
  }

  /** Writes out what is staged. */
  async flush(): Promise<void> {
    if (this.used > 0) {
      const n = this.used;
      this.used = 0;
      await this.writeAll(this.staging.subarray(0, n));
    }
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let h: FileHandle | undefined;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    // Not every platform can fsync a directory (Windows); the rename itself is still atomic.
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/**
 * Makes a folder's entries durable (fsync of the folder): after a rename, link or removal, call
 * this before relying on it surviving a power cut. A no-op where folders cannot be synced.
 * @example `await nx.io.syncFolder('checkpoints/')`
 */
export async function syncFolder(dir: string): Promise<void> {
  await fsyncDir(dir);
}

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

const MB = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;

/**
 * The typed error for a failed write: a full disk (ENOSPC, EDQUOT) becomes a DiskFullError
 * naming the file, the bytes it needed and the bytes free; a folder that is a file becomes a
 * ValueError; anything else is returned as it is.
 * @internal
 */
export async function writeError(err: unknown, where: string, path: string, bytesNeeded: number | undefined): Promise<unknown> {
  const code = (err as { code?: string }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const free = await freeBytes(dirname(path));
    const need = bytesNeeded === undefined ? '' : `; it needs ${MB(bytesNeeded)}`;
    const have = free === undefined ? '' : `, ${MB(free)} ${need === '' ? 'are' : 'is'} free there`;
    const what = code === 'EDQUOT' ? 'disk quota exceeded' : 'no space left on the device';
    return new DiskFullError(`${where}: ${what} while writing ${path}${need}${have}. The previous file is intact and the partial file was removed; free some space and save again`, { path, bytesNeeded, bytesFree: free }, { cause: err });
  }
  if (code === 'ENOTDIR') return new ValueError(`${where}: cannot write ${path}: a part of its folder path is a file, not a folder`, { cause: err });
  return err;
}

/**
 * Runs `fill` on a fresh temporary file beside `path` (named with this process's writer tag, see
 * `tempPath`), then fsyncs it, renames it to `path` and fsyncs the folder. If `fill` (or any
 * step) throws, the temporary file is removed and `path` is untouched. Temporaries that killed
 * writers left in the folder are removed first.
 * @param bytesNeeded - the file's size when known (reported if the disk fills up).
 * @internal
 */
export async function atomicWrite(path: string, fill: (w: ChunkWriter) => Promise<void>, where = 'nx.io', bytesNeeded?: number): Promise<void> {
  const dir = dirname(path);
  await removeStaleTemporaries(dir);
  const tmp = tempPath(path);
  let handle: FileHandle;
  faultPoint(`create ${basename(tmp)}`);
  try {
    handle = await open(tmp, 'wx');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'ENOENT') throw new ValueError(`${where}: cannot write ${path}: the folder ${dir} does not exist`, { cause });
    throw await writeError(cause, where, path, bytesNeeded);
  }
  let closed = false;
  try {
    const w = new ChunkWriter(handle);
    await fill(w);
    await w.flush();
    faultPoint(`fsync ${basename(tmp)}`);
    await handle.sync();
    closed = true;
    await handle.close();
    faultPoint(`rename ${basename(tmp)} -> ${basename(path)}`);
    await rename(tmp, path);
  } catch (err) {
    if (!closed) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw await writeError(err, where, path, bytesNeeded);
  }
  faultPoint(`fsync folder of ${basename(path)}`);
  await fsyncDir(dir);
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder, fsync, rename. Readers
 * see the old content or the new, never a partial file; a failure leaves the old file and no
 * temporary file behind.
 * @param path - destination file; its folder must exist.
 * @param data - text (written as UTF-8) or bytes.
 * @throws ValueError when the folder does not exist; DiskFullError when the disk is full; the
 *   file system's error otherwise.
 * @example `await nx.io.writeFileAtomic('out/index.json', JSON.stringify(index))`
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  await atomicWrite(path, (w) => w.write(bytes), 'nx.io.writeFileAtomic', bytes.byteLength);
}
