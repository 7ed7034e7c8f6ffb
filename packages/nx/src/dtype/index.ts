/**
 * `nx.dtypes`: storage dtypes (the element types of checkpoint files, named as in safetensors)
 * and their host-side conversion to and from the compute dtypes `float32`, `int32`, `bool`.
 *
 * Reading widens or narrows on the host: F64 becomes float32 (precision is lost), F16/BF16 become
 * float32 exactly, integers become int32 (a value that does not fit is an error, never silent
 * corruption), BOOL becomes bool. Writing F16/BF16 rounds to nearest even.
 *
 * @example
 * ```ts
 * const bytes = nx.dtypes.encode(new Float32Array([1, 0.1]), 'F16');
 * const { data, dtype } = nx.dtypes.decode(bytes, 'F16'); // Float32Array [1, 0.0999755859375]
 * ```
 * @module
 */
export {
  type StorageDType,
  STORAGE_DTYPES,
  UNSUPPORTED_DTYPES,
  isStorageDType,
  isFloatStorage,
  bitSizeOf,
  itemSize,
  computeDtypeOf,
  defaultStorageOf,
} from './storage.js';
export { type ComputeArray, type EncodableArray, type Decoded, type CodecOptions, decode, encode } from './codec.js';
export { toF16Bits, fromF16Bits, toBf16Bits, fromBf16Bits } from './half.js';
