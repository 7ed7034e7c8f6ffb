/**
 * Atomic file writes: write to a temporary file in the destination's folder, fsync, rename over
 * the destination. A failure (or a kill) mid-write leaves the old file intact; a failure removes
 * the temporary file.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ValueError } from '../errors.js';

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

  /** Writes out what is staged. */
  async flush(): Promise<void> {
    if (this.used > 0) {
      const n = this.used;
      this.used = 0;
      await this.writeAll(this.staging.subarray(0, n));
    }
  }
}

/** The temporary name used beside `path` while it is written: `.{base}.{random}.tmp`. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
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
 * Runs `fill` on a fresh temporary file beside `path`, then fsyncs it and renames it to `path`.
 * If `fill` (or any step) throws, the temporary file is removed and `path` is untouched.
 * @internal
 */
export async function atomicWrite(path: string, fill: (w: ChunkWriter) => Promise<void>, where = 'nx.io'): Promise<void> {
  const tmp = tempPathFor(path);
  let handle: FileHandle;
  try {
    handle = await open(tmp, 'wx');
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') {
      throw new ValueError(`${where}: cannot write ${path}: the folder ${dirname(path)} does not exist`, { cause });
    }
    throw cause;
  }
  let closed = false;
  try {
    const w = new ChunkWriter(handle);
    await fill(w);
    await w.flush();
    await handle.sync();
    closed = true;
    await handle.close();
    await rename(tmp, path);
  } catch (err) {
    if (!closed) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder, fsync, rename. Readers
 * see the old content or the new, never a partial file; a failure leaves the old file and no
 * temporary file behind.
 * @param path - destination file; its folder must exist.
 * @param data - text (written as UTF-8) or bytes.
 * @throws ValueError when the folder does not exist; the file system's error otherwise.
 * @example `await nx.io.writeFileAtomic('out/index.json', JSON.stringify(index))`
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  await atomicWrite(path, (w) => w.write(bytes), 'nx.io.writeFileAtomic');
}
