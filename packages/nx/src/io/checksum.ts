/**
 * Per-tensor checksums stored in a safetensors file's `__metadata__`, under the key
 * `raven.crc32`: a JSON object `{tensor name: 8 hex digits}`. Each checksum is the CRC-32 (the
 * zlib/PNG polynomial) of the tensor's dtype and shape, then of its data bytes, so a flipped data
 * byte, a header edited to another dtype or shape, and offsets swapped between tensors are all
 * caught (CRC-32 detects every error burst of up to 32 bits, so every flipped byte).
 *
 * Other tools ignore the key; files without it load without verification.
 * @module
 */
import * as zlib from 'node:zlib';
import { ChecksumError } from '../errors.js';

/** The `__metadata__` key holding the checksums. */
export const CHECKSUM_KEY = 'raven.crc32';

/** Placeholder written before the data is known (same width as a real checksum). */
export const CHECKSUM_PLACEHOLDER = '00000000';

type Crc32 = (data: Uint8Array, initial?: number) => number;

let table: Uint32Array | undefined;

/** CRC-32 in JavaScript, for Node versions without `zlib.crc32` (before 20.15). */
function crc32js(data: Uint8Array, initial = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: Crc32 }).crc32;
const crc32: Crc32 = typeof native === 'function' ? native : crc32js;

/** The CRC-32 of data, continuing from `initial` (zlib's `crc32`). @internal */
export function crc32Of(data: Uint8Array, initial = 0): number {
  // zlib.crc32 of an empty view over an empty ArrayBuffer returns 0, ignoring `initial` (Node 20.20)
  if (data.byteLength === 0) return initial >>> 0;
  return crc32(data, initial) >>> 0;
}

/** The checksum of a tensor's description (before its bytes). @internal */
export function startChecksum(dtype: string, shape: readonly number[]): number {
  return crc32Of(new TextEncoder().encode(`${dtype}${JSON.stringify(shape)}`));
}

/** A CRC as 8 lowercase hex digits. @internal */
export function hex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}

/**
 * The checksums stored in `metadata`, or undefined when the file has none.
 * @throws ChecksumError when the key is present but not an object of 8-hex-digit strings.
 * @internal
 */
export function storedChecksums(metadata: Record<string, string>, where: string): Map<string, string> | undefined {
  const raw = metadata[CHECKSUM_KEY];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ChecksumError(`${where}: metadata ${CHECKSUM_KEY} is not valid JSON (the header was damaged)`, undefined);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ChecksumError(`${where}: metadata ${CHECKSUM_KEY} must be an object of tensor name -> CRC-32`, undefined);
  }
  const out = new Map<string, string>();
  for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v !== 'string' || !/^[0-9a-f]{8}$/.test(v)) throw new ChecksumError(`${where}: checksum of tensor ${JSON.stringify(name)} is not 8 hex digits`, name);
    out.set(name, v);
  }
  return out;
}

/**
 * Checks one tensor's bytes against its stored checksum.
 * @throws ChecksumError naming the tensor when they differ, or when a checksummed file has no
 *   checksum for it.
 * @internal
 */
export function verifyTensor(where: string, sums: Map<string, string>, name: string, dtype: string, shape: readonly number[], bytes: Uint8Array): void {
  const want = sums.get(name);
  if (want === undefined) throw new ChecksumError(`${where}: tensor ${JSON.stringify(name)} has no checksum although the file has checksums for its other tensors (the header was edited?)`, name);
  const got = hex(crc32Of(bytes, startChecksum(dtype, shape)));
  if (got !== want) {
    throw new ChecksumError(`${where}: tensor ${JSON.stringify(name)} (${dtype} [${shape.join(', ')}]) fails its checksum (stored ${want}, computed ${got}): the file is corrupt or was edited; restore it from a good copy`, name);
  }
}

/** The metadata without the checksums (what a caller stored). @internal */
export function userMetadata(metadata: Record<string, string>): Record<string, string> {
  if (!Object.prototype.hasOwnProperty.call(metadata, CHECKSUM_KEY)) return metadata;
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(metadata)) if (k !== CHECKSUM_KEY) out[k] = v;
  return out;
}
