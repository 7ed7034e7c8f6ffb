/**
 * Reading what an added file holds, without loading a large file: its size and first 512 bytes
 * (for the Hub's preupload), its sha256 (the LFS object id) and git blob sha1 (what the Hub
 * compares to skip unchanged files) computed over a stream, and streams of byte ranges for
 * uploads.
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

import { HubError } from '../../errors.js';

/** Chunk size of file reads (hashing and uploads): large enough to keep syscalls rare. */
export const READ_CHUNK = 4 * 1024 * 1024;

/** Size and first 512 bytes of a source. */
export interface SourceHead {
  /** Size in bytes. */
  size: number;
  /** The first (at most) 512 bytes. */
  sample: Uint8Array;
}

/** Size and first 512 bytes of a local file or of bytes. */
export async function sourceHead(source: string | Uint8Array, where: string): Promise<SourceHead> {
  if (typeof source !== 'string') return { size: source.byteLength, sample: source.subarray(0, 512) };
  let st;
  try {
    st = await stat(source);
  } catch (cause) {
    throw new HubError(`${where}: cannot read ${source}: ${(cause as Error).message}`, { cause });
  }
  if (!st.isFile()) throw new HubError(`${where}: ${source} is not a file`);
  const fh = await open(source, 'r');
  try {
    const sample = Buffer.alloc(Math.min(512, st.size));
    const { bytesRead } = await fh.read(sample, 0, sample.length, 0);
    return { size: st.size, sample: sample.subarray(0, bytesRead) };
  } finally {
    await fh.close();
  }
}

/** A stream of bytes `[start, end)` of a source, in pieces of at most {@link READ_CHUNK} bytes. */
export function sourceStream(source: string | Uint8Array, start = 0, end?: number): Readable {
  if (typeof source !== 'string') {
    const bytes = source.subarray(start, end);
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.byteLength; at += READ_CHUNK) {
      const piece = bytes.subarray(at, Math.min(at + READ_CHUNK, bytes.byteLength));
      pieces.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    }
    return Readable.from(pieces, { objectMode: false });
  }
  if (end !== undefined && end <= start) return Readable.from([], { objectMode: false });
  return createReadStream(source, {
    start,
    ...(end !== undefined ? { end: end - 1 } : {}),
    highWaterMark: READ_CHUNK,
  });
}

/**
 * The sha256 (hex) of a source, and its git blob sha1 when `gitSha1` is asked (the id git gives
 * to a file: sha1 of `blob <size>\0` and the bytes), in one streaming pass.
 * @param opts - What to compute; `onBytes` is called with the bytes hashed so far.
 * @internal
 */
export async function hashSource(
  source: string | Uint8Array,
  size: number,
  opts: { sha256: boolean; gitSha1: boolean; onBytes?: (bytes: number) => void; where: string },
): Promise<{ sha256: string | undefined; gitSha1: string | undefined }> {
  const sha = opts.sha256 ? createHash('sha256') : undefined;
  const git = opts.gitSha1 ? createHash('sha1').update(`blob ${size}\0`) : undefined;
  let seen = 0;
  for await (const chunk of sourceStream(source)) {
    const bytes = chunk as Buffer;
    sha?.update(bytes);
    git?.update(bytes);
    seen += bytes.length;
    opts.onBytes?.(seen);
  }
  if (seen !== size) {
    throw new HubError(
      `${opts.where}: ${typeof source === 'string' ? source : 'the bytes'} changed while being read ` +
        `(${seen} bytes, ${size} expected); do not modify files during an upload`,
    );
  }
  return { sha256: sha?.digest('hex'), gitSha1: git?.digest('hex') };
}

/** The slowest upload speed allowed for before a request times out: 100 kB/s. */
const SLOWEST_UPLOAD_BYTES_PER_MS = 100;

/**
 * The time limit for a request that sends `bytes`: undici counts its headers timeout from when
 * the request starts, body included, so the limit grows with the body (`timeoutMs` plus the
 * body's time at 100 kB/s). @internal
 */
export function uploadTimeoutMs(timeoutMs: number, bytes: number): number {
  return timeoutMs === 0 ? 0 : timeoutMs + Math.ceil(bytes / SLOWEST_UPLOAD_BYTES_PER_MS);
}
