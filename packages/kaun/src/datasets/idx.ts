/**
 * The IDX file format (MNIST's): a 4-byte magic number (two zero bytes, a type code, the number of
 * dimensions), the dimensions as big-endian 32-bit integers, then the values, big-endian.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';

/** The element types IDX files declare. */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A decoded IDX array. */
export interface IdxArray {
  /** The element type declared by the file. */
  dtype: IdxDType;
  /** The dimensions declared by the file. */
  shape: number[];
  /** The values in row-major order, in native byte order. */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, [IdxDType, number]> = {
  0x08: ['uint8', 1], 0x09: ['int8', 1], 0x0b: ['int16', 2], 0x0c: ['int32', 4], 0x0d: ['float32', 4], 0x0e: ['float64', 8],
};

/** Whether `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decodes an IDX file from its bytes; gzip-compressed input is decompressed first. `uint8` data is
 * a view on the (decompressed) bytes, not a copy.
 * @param name - used in error messages (a file name); default `'IDX data'`.
 * @throws DataError when the magic number, type code or dimensions are invalid, when the size does
 * not match the dimensions, or when gzip data is corrupt.
 * @example `const { shape, data } = Datasets.parseIdx(bytes); // shape [60000, 28, 28], Uint8Array`
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  const fn = 'Datasets.parseIdx';
  let b = bytes;
  if (isGzip(b)) {
    try {
      b = gunzipSync(b);
    } catch (e) {
      throw new DataError(`${fn}: ${name} looks gzip-compressed but does not decompress: ${(e as Error).message}`, { cause: e });
    }
  }
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) {
    throw new DataError(`${fn}: ${name} is not an IDX file: expected a magic number starting with two zero bytes, got ${Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join(' ')}`);
  }
  const type = TYPES[b[2]!];
  if (type === undefined) throw new DataError(`${fn}: ${name} declares unknown type code 0x${b[2]!.toString(16)}; IDX types are 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e`);
  const rank = b[3]!;
  const header = 4 + 4 * rank;
  if (rank === 0 || b.length < header) throw new DataError(`${fn}: ${name} declares ${rank} dimensions but is ${b.length} bytes long`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const [dtype, width] = type;
  const count = shape.reduce((p, q) => p * q, 1);
  const expected = header + count * width;
  if (b.length !== expected) {
    throw new DataError(`${fn}: ${name} has ${b.length} bytes but its header (${dtype}, shape [${shape.join(', ')}]) needs ${expected}; the file is truncated or corrupt`);
  }
  const body = b.subarray(header);
  let data: IdxArray['data'];
  switch (dtype) {
    case 'uint8': data = body; break;
    case 'int8': data = new Int8Array(body.buffer, body.byteOffset, count); break;
    case 'int16': data = Int16Array.from({ length: count }, (_, i) => view.getInt16(header + 2 * i, false)); break;
    case 'int32': data = Int32Array.from({ length: count }, (_, i) => view.getInt32(header + 4 * i, false)); break;
    case 'float32': data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(header + 4 * i, false)); break;
    default: data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(header + 8 * i, false)); break;
  }
  return { dtype, shape, data };
}

/**
 * Reads and decodes an IDX file (gzip or not).
 * @throws DataError for malformed files; the file system's error when it cannot be read.
 */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(new Uint8Array(await readFile(path)), path);
}
