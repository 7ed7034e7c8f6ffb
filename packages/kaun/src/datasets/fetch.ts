/**
 * Downloading and verifying dataset files: mirrors tried in turn, content checked by SHA-256,
 * atomic writes into the cache. Internal.
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';
import { isGzip } from './idx.js';

/** A file of a dataset: its name on the mirrors and the SHA-256 of its (decompressed) content. @internal */
export interface FileSpec {
  name: string;
  sha256: string;
}

/** The SHA-256 of data, in hex. @internal */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Decompresses when gzip; throws a DataError on corrupt data. @internal */
export function content(bytes: Uint8Array, what: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new DataError(`${what}: corrupt gzip data: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads a file and returns its verified content, or undefined when absent; throws DataError on a checksum mismatch. @internal */
export async function readVerified(fn: string, path: string, spec: FileSpec): Promise<Uint8Array | undefined> {
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(await readFile(path));
  } catch {
    return undefined;
  }
  const data = content(raw, `${fn}: ${path}`);
  const got = sha256(data);
  if (got !== spec.sha256) {
    throw new DataError(`${fn}: ${path} has SHA-256 ${got} but ${spec.name} should have ${spec.sha256}; delete the file so it is fetched again`);
  }
  return data;
}

/**
 * Downloads `spec.name` from the first mirror that serves content with the right checksum, writes
 * what was served to `dir/name` atomically (a `.incomplete` file renamed), and returns the
 * decompressed content. @internal
 * @throws DataError listing each mirror's failure when none works.
 */
export async function download(fn: string, mirrors: readonly string[], dir: string, spec: FileSpec, timeoutMs: number): Promise<Uint8Array> {
  const failures: string[] = [];
  for (const base of mirrors) {
    const url = base.endsWith('/') ? `${base}${spec.name}` : `${base}/${spec.name}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) { failures.push(`${url}: HTTP ${res.status}`); continue; }
      const raw = new Uint8Array(await res.arrayBuffer());
      const data = content(raw, `${fn}: ${url}`);
      const got = sha256(data);
      if (got !== spec.sha256) { failures.push(`${url}: SHA-256 ${got}, expected ${spec.sha256}`); continue; }
      await mkdir(dir, { recursive: true });
      const target = join(dir, spec.name);
      const tmp = `${target}.${process.pid}.${Date.now()}.incomplete`;
      try {
        await writeFile(tmp, raw);
        await rename(tmp, target);
      } finally {
        await rm(tmp, { force: true });
      }
      return data;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      failures.push(`${url}: ${err.cause?.code ?? err.name}: ${err.message}`);
    }
  }
  throw new DataError(`${fn}: could not download ${spec.name}:\n  ${failures.join('\n  ')}`);
}
