/**
 * The safetensors header: parsing with the reference implementation's validation, and building.
 *
 * Layout: 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}` padded
 * with spaces to a multiple of 8, then the tensors' bytes packed with no gaps (offsets relative to
 * the end of the header).
 * @module
 */
import { bitSizeOf } from '../dtype/storage.js';
import { SafetensorsFormatError } from '../errors.js';
import { crc32Of, hex } from './checksum.js';

/** The largest header accepted, as in the reference implementation (100 MB). */
export const MAX_HEADER_SIZE = 100_000_000;

/** One tensor's entry in a safetensors header. */
export interface SafetensorsTensorInfo {
  /** The safetensors dtype name (`F32`, `BF16`, ... or one nx cannot convert, such as `F8_E4M3`). */
  dtype: string;
  /** The shape; `[]` for a 0-d tensor. */
  shape: number[];
  /** `[begin, end]` byte offsets relative to {@link SafetensorsHeader.dataStart}. */
  dataOffsets: [number, number];
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** Tensor entries by name. Iteration follows {@link SafetensorsHeader.names} except for integer-like names, which JavaScript objects list first. */
  tensors: Record<string, SafetensorsTensorInfo>;
  /** The `__metadata__` strings (empty when absent). */
  metadata: Record<string, string>;
  /** Byte position in the file where tensor data starts (8 + header length). */
  dataStart: number;
  /** Tensor names in file order (by data offset). */
  names: string[];
  /**
   * CRC-32 of the header bytes, as 8 hex digits: two files with the same fingerprint have the
   * same tensors, dtypes, shapes, offsets and metadata, and (when written with checksums) the
   * same data. kaun's sharded checkpoints record each shard's fingerprint in the index.
   */
  fingerprint: string;
}

/** An object without a prototype, so that any name (even `__proto__`) is an ordinary key. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function fail(where: string, message: string): never {
  throw new SafetensorsFormatError(`${where}: ${message}`);
}

/**
 * Reads the header length from the first 8 bytes and checks it against the file size.
 * @returns the header length N.
 * @throws SafetensorsFormatError for a file under 8 bytes, N over 100 MB, or a header past the end.
 */
export function checkHeaderLength(prefix: Uint8Array, fileSize: number, where: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) fail(where, `the file is ${fileSize} bytes, too small to hold the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) fail(where, `header length ${n} exceeds the ${MAX_HEADER_SIZE}-byte limit (not a safetensors file, or corrupt)`);
  const len = Number(n);
  if (8 + len > fileSize) fail(where, `header length ${len} runs past the end of the file (${fileSize} bytes): the file is truncated or not safetensors`);
  return len;
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function parseEntry(where: string, name: string, raw: unknown): SafetensorsTensorInfo & { bytes: number } {
  const at = `${where}: tensor ${JSON.stringify(name)}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(at, `entry must be an object {dtype, shape, data_offsets}, got ${JSON.stringify(raw)}`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string') fail(at, `dtype must be a string, got ${JSON.stringify(dtype)}`);
  const bits = bitSizeOf(dtype);
  if (bits === undefined) fail(at, `unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) fail(at, `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
    fail(at, `data_offsets must be [begin, end] of non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) fail(at, `shape ${JSON.stringify(shape)} has more than 2^53 elements (overflow)`);
  }
  const totalBits = count * bits;
  if (totalBits > Number.MAX_SAFE_INTEGER) fail(at, `shape ${JSON.stringify(shape)} x ${dtype} overflows 2^53 bits`);
  if (totalBits % 8 !== 0) fail(at, `shape ${JSON.stringify(shape)} x ${dtype} (${bits} bits) is not a whole number of bytes`);
  const [begin, end] = offsets as [number, number];
  return { dtype, shape: [...(shape as number[])], dataOffsets: [begin, end], bytes: totalBits / 8 };
}

/**
 * Parses and validates the JSON header against the file size, as the reference implementation
 * does: UTF-8, a JSON object, known dtypes, shapes of non-negative integers without overflow,
 * offsets that start at 0 and tile the data section with no gap or overlap, each span equal to
 * shape x dtype, and the last offset at the end of the file.
 * @param headerBytes - the N header bytes (after the 8-byte length).
 * @param fileSize - the size of the whole file (or buffer).
 * @param where - message prefix naming the function and the file.
 * @throws SafetensorsFormatError naming the file (through `where`) and the tensor at fault.
 */
export function parseHeader(headerBytes: Uint8Array, fileSize: number, where: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch (cause) {
    throw new SafetensorsFormatError(`${where}: the header is not valid UTF-8`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SafetensorsFormatError(`${where}: the header is not valid JSON (${(cause as Error).message})`, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(where, `the header must be a JSON object, got ${Array.isArray(json) ? 'an array' : String(json)}`);

  const metadata = emptyRecord<string>();
  const entries: Array<[string, SafetensorsTensorInfo & { bytes: number }]> = [];
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) fail(where, `__metadata__ must be an object of strings, got ${JSON.stringify(value)}`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(where, `__metadata__ value of ${JSON.stringify(k)} must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push([key, parseEntry(where, key, value)]);
  }
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);

  let pos = 0;
  let prev = '';
  for (const [name, info] of entries) {
    const [begin, end] = info.dataOffsets;
    const at = `${where}: tensor ${JSON.stringify(name)}`;
    if (begin < pos) fail(at, `data_offsets [${begin}, ${end}] overlap the previous tensor ${JSON.stringify(prev)} (which ends at ${pos})`);
    if (begin > pos) fail(at, pos === 0 ? `data_offsets [${begin}, ${end}]: the first tensor must start at 0` : `data_offsets [${begin}, ${end}] leave a gap after ${JSON.stringify(prev)} (which ends at ${pos})`);
    if (end < begin) fail(at, `data_offsets [${begin}, ${end}] end before they begin`);
    if (end - begin !== info.bytes) {
      fail(at, `data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape ${JSON.stringify(info.shape)} x ${info.dtype} needs ${info.bytes}`);
    }
    pos = end;
    prev = name;
  }
  const dataStart = 8 + headerBytes.byteLength;
  if (dataStart + pos < fileSize) fail(where, `${fileSize - dataStart - pos} trailing bytes after the last tensor (the file is ${fileSize} bytes, the header accounts for ${dataStart + pos})`);
  if (dataStart + pos > fileSize) fail(where, `the file is truncated: the header needs ${dataStart + pos} bytes, the file has ${fileSize}`);

  const tensors = emptyRecord<SafetensorsTensorInfo>();
  for (const [name, info] of entries) tensors[name] = { dtype: info.dtype, shape: info.shape, dataOffsets: info.dataOffsets };
  return { tensors, metadata, dataStart, names: entries.map(([name]) => name), fingerprint: hex(crc32Of(headerBytes)) };
}

/** One tensor to describe in a header being built. */
export interface HeaderSpec {
  /** The tensor's name. */
  name: string;
  /** Its storage dtype. */
  dtype: string;
  /** Its shape. */
  shape: number[];
  /** Its size in bytes. */
  bytes: number;
}

/**
 * Builds the 8-byte length and the JSON header (tensors packed in the given order, padded with
 * spaces to a multiple of 8).
 * @returns the bytes to write before the data, and the data size.
 */
export function buildHeader(specs: HeaderSpec[], metadata: Record<string, string> | undefined): { prefix: Uint8Array; dataBytes: number } {
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const s of specs) {
    parts.push(`${JSON.stringify(s.name)}:${JSON.stringify({ dtype: s.dtype, shape: s.shape, data_offsets: [offset, offset + s.bytes] })}`);
    offset += s.bytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.byteLength / 8) * 8;
  const prefix = new Uint8Array(8 + n).fill(0x20, 8 + json.byteLength);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(n), true);
  prefix.set(json, 8);
  return { prefix, dataBytes: offset };
}
