/**
 * Host-side conversion between raw little-endian bytes of a storage dtype and the typed arrays of
 * the compute dtypes.
 * @module
 */
import { DTypeError, ValueError } from '../errors.js';
import { checkOptions, type OptionKeys } from '../options.js';
import type { DType } from '../tensor.js';
import { f16DecodeTable, f32BitsToBf16Bits, f32BitsToF16Bits } from './half.js';
import { isStorageDType, unsupported, type StorageDType } from './storage.js';

/** A typed array holding compute-dtype values: float32, int32, or bool as 0/1 bytes. */
export type ComputeArray = Float32Array | Int32Array | Uint8Array;

/** Values {@link encode} accepts: compute arrays, `Float64Array`, or plain numbers. */
export type EncodableArray = Float32Array | Int32Array | Uint8Array | Float64Array | ArrayLike<number>;

/** What {@link decode} returns: the values and their compute dtype. */
export interface Decoded {
  /** The values, one per element, in the compute dtype's typed array. */
  data: ComputeArray;
  /** `float32`, `int32` or `bool`. */
  dtype: DType;
}

/** Options of {@link decode} and {@link encode}. */
export interface CodecOptions {
  /** The tensor's name, quoted in error messages. Default: none. */
  name?: string;
  /**
   * Whether the result must own its memory. Default `true`. With `false`, when no conversion is
   * needed (F32, I32 on a little-endian host with aligned bytes) the result is a view sharing
   * memory with the input.
   */
  copy?: boolean;
}

const CODEC_KEYS: OptionKeys<CodecOptions> = { name: true, copy: true };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Ctor<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

function swapInPlace(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** Little-endian bytes viewed as a typed array; copied when unaligned, asked for, or on a big-endian host. */
function asTyped<T>(bytes: Uint8Array, C: Ctor<T>, copy: boolean): T {
  const size = C.BYTES_PER_ELEMENT;
  let src = bytes;
  if (copy || bytes.byteOffset % size !== 0 || (!LITTLE_ENDIAN && size > 1)) src = bytes.slice();
  if (!LITTLE_ENDIAN && size > 1) swapInPlace(src, size);
  return new C(src.buffer, src.byteOffset, src.byteLength / size);
}

/** A typed array's elements as little-endian bytes; a view unless `copy` or a big-endian host. */
function toBytes(a: Float32Array | Int32Array | Uint32Array | Uint16Array | Int16Array | Float64Array | Uint8Array | Int8Array, copy: boolean): Uint8Array {
  let out = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (copy || (!LITTLE_ENDIAN && a.BYTES_PER_ELEMENT > 1)) out = out.slice();
  if (!LITTLE_ENDIAN && a.BYTES_PER_ELEMENT > 1) swapInPlace(out, a.BYTES_PER_ELEMENT);
  return out;
}

const ITEM: Record<StorageDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

function int64Message(where: string, dtype: string, hi: number, lo: number, i: number): DTypeError {
  const big = dtype === 'U64'
    ? (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)
    : BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  const limit = 2n ** 53n;
  const why = big > limit || big < -limit
    ? `is outside ±2^53 and cannot be represented exactly`
    : `does not fit the int32 compute dtype (-2^31..2^31-1)`;
  return new DTypeError(`${where}: ${dtype} value ${big} at index ${i} ${why}; nx computes integers in int32`);
}

/**
 * Decodes with a caller-chosen error prefix (`where`); {@link decode} is the public form.
 * @internal
 */
export function decodeWith(bytes: Uint8Array, dtype: string, where: string, copy: boolean): Decoded {
  if (!isStorageDType(dtype)) unsupported(where, dtype);
  const size = ITEM[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new ValueError(`${where}: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements (${size} bytes each)`);
  }
  const n = bytes.byteLength / size;
  switch (dtype) {
    case 'F32': return { data: asTyped(bytes, Float32Array, copy), dtype: 'float32' };
    case 'F64': return { data: new Float32Array(asTyped(bytes, Float64Array, false)), dtype: 'float32' };
    case 'F16': {
      const src = asTyped(bytes, Uint16Array, false);
      const table = f16DecodeTable();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[src[i]!]!;
      return { data: out, dtype: 'float32' };
    }
    case 'BF16': {
      const src = asTyped(bytes, Uint16Array, false);
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = src[i]! << 16;
      return { data: new Float32Array(out.buffer), dtype: 'float32' };
    }
    case 'I64':
    case 'U64': {
      const src = asTyped(bytes, Int32Array, false);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = src[2 * i]!;
        const hi = src[2 * i + 1]!;
        if (hi !== lo >> 31 || (dtype === 'U64' && hi !== 0)) throw int64Message(where, dtype, hi, lo, i);
        out[i] = lo;
      }
      return { data: out, dtype: 'int32' };
    }
    case 'I32': return { data: asTyped(bytes, Int32Array, copy), dtype: 'int32' };
    case 'U32': {
      const src = asTyped(bytes, Uint32Array, false);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (v > 0x7fffffff) throw new DTypeError(`${where}: U32 value ${v} at index ${i} does not fit the int32 compute dtype (max 2^31-1); nx computes integers in int32`);
        out[i] = v;
      }
      return { data: out, dtype: 'int32' };
    }
    case 'I16': return { data: Int32Array.from(asTyped(bytes, Int16Array, false)), dtype: 'int32' };
    case 'U16': return { data: Int32Array.from(asTyped(bytes, Uint16Array, false)), dtype: 'int32' };
    case 'I8': return { data: Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, n)), dtype: 'int32' };
    case 'U8': return { data: Int32Array.from(bytes), dtype: 'int32' };
    case 'BOOL': {
      for (let i = 0; i < n; i++) {
        const v = bytes[i]!;
        if (v > 1) throw new DTypeError(`${where}: BOOL byte ${v} at index ${i} is neither 0 nor 1`);
      }
      return { data: copy ? bytes.slice() : bytes, dtype: 'bool' };
    }
  }
}

/**
 * Converts raw little-endian bytes of a storage dtype to a typed array of its compute dtype
 * (see {@link computeDtypeOf}). F64 is rounded to float32 (precision is lost, magnitudes beyond
 * float32's range become ±Inf); F16/BF16 convert exactly; integer dtypes become int32.
 * @param bytes - the raw data, `itemSize(dtype)` bytes per element.
 * @param dtype - the storage dtype of `bytes`.
 * @param options - `name` for messages, `copy` (default `true`).
 * @returns the values and their compute dtype.
 * @throws DTypeError for a dtype nx cannot convert ("dtype F8_E4M3 is not supported"), an I64/U64
 *   value outside ±2^53 or outside int32 (both errors, not silent corruption), a U32 value above
 *   2^31-1, or a BOOL byte other than 0/1.
 * @throws ValueError when the byte length is not a whole number of elements.
 * @example
 * ```ts
 * const { data, dtype } = nx.dtypes.decode(new Uint8Array([0x00, 0x3c]), 'F16'); // [1], 'float32'
 * ```
 */
export function decode(bytes: Uint8Array, dtype: StorageDType, options: CodecOptions = {}): Decoded {
  checkOptions('nx.dtypes.decode', options, CODEC_KEYS);
  const where = options.name === undefined ? 'nx.dtypes.decode' : `nx.dtypes.decode: tensor ${JSON.stringify(options.name)}`;
  return decodeWith(bytes, dtype, where, options.copy ?? true);
}

function intRange(dtype: StorageDType): [number, number] {
  switch (dtype) {
    case 'I64': return [-(2 ** 53), 2 ** 53];
    case 'U64': return [0, 2 ** 53];
    case 'I32': return [-(2 ** 31), 2 ** 31 - 1];
    case 'U32': return [0, 2 ** 32 - 1];
    case 'I16': return [-32768, 32767];
    case 'U16': return [0, 65535];
    case 'I8': return [-128, 127];
    default: return [0, 255];
  }
}

function checkInts(data: EncodableArray, dtype: StorageDType, where: string): void {
  const [lo, hi] = intRange(dtype);
  const isInt = data instanceof Int32Array;
  if (isInt && lo <= -(2 ** 31) && hi >= 2 ** 31 - 1) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!isInt && !Number.isInteger(v)) {
      throw new DTypeError(`${where}: value ${v} at index ${i} is not an integer and cannot be stored as ${dtype}; round or cast it first`);
    }
    if (v < lo || v > hi) throw new DTypeError(`${where}: value ${v} at index ${i} does not fit ${dtype} (${lo}..${hi})`);
  }
}

function asFloat32(data: EncodableArray): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/**
 * Encodes with a caller-chosen error prefix (`where`); {@link encode} is the public form.
 * @internal
 */
export function encodeWith(data: EncodableArray, dtype: string, where: string, copy: boolean): Uint8Array {
  if (!isStorageDType(dtype)) unsupported(where, dtype);
  const n = data.length;
  switch (dtype) {
    case 'F32': return toBytes(asFloat32(data), copy && data instanceof Float32Array);
    case 'F64': return toBytes(Float64Array.from(data as ArrayLike<number>), false);
    case 'F16':
    case 'BF16': {
      const f = asFloat32(data);
      const bits = new Uint32Array(f.buffer, f.byteOffset, n);
      const out = new Uint16Array(n);
      if (dtype === 'F16') for (let i = 0; i < n; i++) out[i] = f32BitsToF16Bits(bits[i]!);
      else for (let i = 0; i < n; i++) out[i] = f32BitsToBf16Bits(bits[i]!);
      return toBytes(out, false);
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = data[i] !== 0 ? 1 : 0;
      return out;
    }
    case 'I64':
    case 'U64': {
      checkInts(data, dtype, where);
      const out = new Int32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        out[2 * i] = v >>> 0;
        out[2 * i + 1] = Math.floor(v / 4294967296);
      }
      return toBytes(out, false);
    }
    case 'I32':
      checkInts(data, dtype, where);
      return data instanceof Int32Array ? toBytes(data, copy) : toBytes(Int32Array.from(data as ArrayLike<number>), false);
    default: {
      checkInts(data, dtype, where);
      const C = { U32: Uint32Array, I16: Int16Array, U16: Uint16Array, I8: Int8Array, U8: Uint8Array }[dtype];
      return toBytes(C.from(data as ArrayLike<number>), false);
    }
  }
}

/**
 * Converts values to the raw little-endian bytes of a storage dtype. Floats to F16/BF16 round to
 * nearest even (±Inf, NaN, -0 and subnormals kept; beyond the format's range becomes ±Inf).
 * Integer dtypes need integer values in range: anything else is an error, never a silent wrap.
 * `BOOL` writes 1 for every non-zero value, else 0.
 * @param data - the values (a compute typed array, a `Float64Array` or plain numbers).
 * @param dtype - the storage dtype to write.
 * @param options - `name` for messages, `copy` (default `true`; with `false` F32 data from a
 *   `Float32Array` or I32 data from an `Int32Array` may be returned as a view of it).
 * @returns `data.length * itemSize(dtype)` bytes.
 * @throws DTypeError for a dtype nx cannot write, a non-integer value for an integer dtype, or a
 *   value outside the dtype's range (I64/U64: ±2^53).
 * @example `nx.dtypes.encode(new Float32Array([1]), 'BF16') // Uint8Array [0x80, 0x3f]`
 */
export function encode(data: EncodableArray, dtype: StorageDType, options: CodecOptions = {}): Uint8Array {
  checkOptions('nx.dtypes.encode', options, CODEC_KEYS);
  const where = options.name === undefined ? 'nx.dtypes.encode' : `nx.dtypes.encode: tensor ${JSON.stringify(options.name)}`;
  return encodeWith(data, dtype, where, options.copy ?? true);
}
