/**
 * Storage dtypes: the element types a checkpoint file may hold, named as in safetensors, and how
 * they map to the compute dtypes TF.js works in.
 * @module
 */
import { DTypeError } from '../errors.js';
import type { DType } from '../tensor.js';

/**
 * A storage dtype nx can read and write, named as in safetensors.
 *
 * | storage | bytes | compute dtype | conversion on read |
 * |---|---|---|---|
 * | `F64` | 8 | float32 | rounded to float32 (precision lost; beyond ±3.4e38 becomes ±Inf) |
 * | `F32` | 4 | float32 | exact |
 * | `F16`, `BF16` | 2 | float32 | exact |
 * | `I64`, `U64` | 8 | int32 | exact; a value outside int32 is an error |
 * | `I32` | 4 | int32 | exact |
 * | `U32` | 4 | int32 | exact; a value above 2^31-1 is an error |
 * | `I16`, `U16`, `I8`, `U8` | 2, 1 | int32 | exact |
 * | `BOOL` | 1 | bool | bytes must be 0 or 1 |
 */
export type StorageDType =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL';

/** Every {@link StorageDType}, widest float first. */
export const STORAGE_DTYPES: readonly StorageDType[] = Object.freeze([
  'F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL',
] as StorageDType[]);

const ITEM_SIZE: Record<StorageDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/**
 * Dtypes that the safetensors format defines but nx cannot convert, with their size in bits and
 * what they are. A file holding them parses; reading such a tensor is a {@link DTypeError}.
 */
export const UNSUPPORTED_DTYPES: Readonly<Record<string, { bits: number; what: string }>> = Object.freeze({
  F8_E4M3: { bits: 8, what: '8-bit float' },
  F8_E5M2: { bits: 8, what: '8-bit float' },
  F8_E8M0: { bits: 8, what: '8-bit scale' },
  F8_E4M3FNUZ: { bits: 8, what: '8-bit float' },
  F8_E5M2FNUZ: { bits: 8, what: '8-bit float' },
  F6_E2M3: { bits: 6, what: '6-bit float' },
  F6_E3M2: { bits: 6, what: '6-bit float' },
  F4: { bits: 4, what: '4-bit float' },
  C64: { bits: 64, what: 'complex64' },
});

/** Whether `name` is a {@link StorageDType} nx converts. */
export function isStorageDType(name: unknown): name is StorageDType {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(ITEM_SIZE, name);
}

/**
 * The size in bits of one element of a safetensors dtype, supported or not; `undefined` for a
 * name safetensors does not define. Used by the reader to validate byte sizes.
 */
export function bitSizeOf(name: string): number | undefined {
  if (isStorageDType(name)) return ITEM_SIZE[name] * 8;
  if (Object.prototype.hasOwnProperty.call(UNSUPPORTED_DTYPES, name)) return UNSUPPORTED_DTYPES[name]!.bits;
  return undefined;
}

/**
 * Throws the error that says why `name` is not a usable storage dtype: a known safetensors dtype
 * nx cannot convert ("dtype F8_E4M3 is not supported"), or a name that is no dtype at all.
 * @param where - prefix of the message, e.g. `nx.dtypes.decode`.
 * @throws DTypeError always.
 */
export function unsupported(where: string, name: unknown): never {
  const known = typeof name === 'string' && Object.prototype.hasOwnProperty.call(UNSUPPORTED_DTYPES, name);
  const list = STORAGE_DTYPES.join(', ');
  if (known) {
    throw new DTypeError(`${where}: dtype ${name} is not supported (${UNSUPPORTED_DTYPES[name as string]!.what}); nx converts ${list}`);
  }
  throw new DTypeError(`${where}: ${JSON.stringify(name)} is not a storage dtype; expected one of ${list}`);
}

/**
 * Bytes per element of a storage dtype.
 * @throws DTypeError for a name that is not a {@link StorageDType}.
 * @example `nx.dtypes.itemSize('BF16') // 2`
 */
export function itemSize(dtype: StorageDType): number {
  if (!isStorageDType(dtype)) unsupported('nx.dtypes.itemSize', dtype);
  return ITEM_SIZE[dtype];
}

/**
 * The compute dtype a storage dtype is read into: floats to `float32`, integers to `int32`,
 * `BOOL` to `bool`.
 * @throws DTypeError for a name that is not a {@link StorageDType}.
 * @example `nx.dtypes.computeDtypeOf('F16') // 'float32'`
 */
export function computeDtypeOf(storage: StorageDType): DType {
  if (!isStorageDType(storage)) unsupported('nx.dtypes.computeDtypeOf', storage);
  if (storage === 'BOOL') return 'bool';
  return storage.startsWith('F') || storage === 'BF16' ? 'float32' : 'int32';
}

/**
 * The storage dtype a compute dtype is written as by default, without loss: `float32` -> `F32`,
 * `int32` -> `I32`, `bool` -> `BOOL`.
 * @throws DTypeError for anything else.
 */
export function defaultStorageOf(compute: DType): StorageDType {
  if (compute === 'float32') return 'F32';
  if (compute === 'int32') return 'I32';
  if (compute === 'bool') return 'BOOL';
  throw new DTypeError(`nx.dtypes.defaultStorageOf: ${JSON.stringify(compute)} is not a compute dtype; use float32, int32 or bool`);
}

/** Whether a storage dtype holds floating-point values (`F64`, `F32`, `F16`, `BF16`). */
export function isFloatStorage(dtype: StorageDType): boolean {
  return dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}
