/**
 * Shared pieces of the safetensors reader and writer: option types, the plan of a write (names,
 * storage dtypes, sizes) and the tensor built from decoded bytes.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeWith } from '../dtype/codec.js';
import { defaultStorageOf, isStorageDType, itemSize, unsupported, type StorageDType } from '../dtype/storage.js';
import { DTypeError, ValueError } from '../errors.js';
import { isTensor, type DType, type Tensor } from '../tensor.js';
import type { OptionKeys } from '../options.js';
import { CHECKSUM_KEY } from './checksum.js';
import type { HeaderSpec } from './header.js';

/** Options of {@link loadSafetensors} and {@link parseSafetensors}. */
export interface LoadOptions {
  /**
   * Which tensors to read: a list of names (names the file lacks are skipped; check the result)
   * or a predicate. Default: all.
   */
  names?: string[] | ((name: string) => boolean);
  /**
   * Verify each tensor read against the checksum stored in the file (`raven.crc32` in
   * `__metadata__`, written by default by {@link saveSafetensors}); files without checksums are
   * read as they are. Default: true. `false` skips the CRC-32 pass (it costs about as much as
   * reading from the page cache).
   */
  verify?: boolean;
}

/** The option names of {@link LoadOptions}. @internal */
export const LOAD_KEYS: OptionKeys<LoadOptions> = { names: true, verify: true };

/** What {@link loadSafetensors} and {@link parseSafetensors} return. */
export interface LoadResult {
  /** `[name, tensor]` in file order (by data offset), in compute dtypes. The caller owns (and disposes) the tensors. */
  tensors: Array<[string, Tensor]>;
  /** The `__metadata__` strings (empty when absent), without the checksums (`raven.crc32`; see the header for those). */
  metadata: Record<string, string>;
  /** The storage dtype each returned tensor had in the file. */
  dtypes: Record<string, string>;
}

/** Options of {@link saveSafetensors} and {@link serializeSafetensors}. */
export interface SaveOptions {
  /** `__metadata__` strings to store. Default: none. */
  metadata?: Record<string, string>;
  /** Storage dtype per tensor name; wins over `dtype`. */
  dtypes?: Record<string, StorageDType>;
  /**
   * Storage dtype for every float32 tensor not named in `dtypes` (for instance `'F16'` or
   * `'BF16'` to halve the file). int32 and bool tensors keep their defaults. Default: `F32`.
   */
  dtype?: StorageDType;
  /**
   * Store a CRC-32 of every tensor (with its dtype and shape) in `__metadata__` under
   * `raven.crc32`, so loading detects corruption and edited headers. Other tools ignore the key.
   * Default: true.
   */
  checksums?: boolean;
}

/** The option names of {@link SaveOptions}. @internal */
export const SAVE_KEYS: OptionKeys<SaveOptions> = { metadata: true, dtypes: true, dtype: true, checksums: true };

/** Tensors to save: `[name, tensor]` pairs (written in this order) or a record. */
export type SaveEntries = Array<[string, Tensor]> | Record<string, Tensor>;

/** One tensor of a write plan. */
export interface PlannedTensor extends HeaderSpec {
  /** The tensor to write. */
  tensor: Tensor;
  /** The storage dtype it is written as. */
  dtype: StorageDType;
}

function own<T>(rec: Record<string, T> | undefined, key: string): T | undefined {
  return rec !== undefined && Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}

/**
 * Checks the entries and options and decides each tensor's storage dtype and byte size.
 * @throws ValueError for a non-tensor, a disposed tensor, an empty, duplicate or reserved name,
 *   or metadata that is not string -> string; DTypeError for an unsupported storage dtype.
 * @internal
 */
export function planWrite(where: string, entries: SaveEntries, options: SaveOptions): PlannedTensor[] {
  const list: Array<[string, Tensor]> = Array.isArray(entries) ? entries : Object.entries(entries);
  const { metadata, dtypes, dtype } = options;
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) throw new ValueError(`${where}: metadata must be an object of strings`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ValueError(`${where}: metadata value of ${JSON.stringify(k)} must be a string, got ${typeof v}; convert it (JSON.stringify) first`);
    }
    if (options.checksums !== false && Object.prototype.hasOwnProperty.call(metadata, CHECKSUM_KEY)) {
      throw new ValueError(`${where}: metadata key ${JSON.stringify(CHECKSUM_KEY)} is reserved for the checksums the writer stores (pass checksums: false to write your own)`);
    }
  }
  if (dtype !== undefined && !isStorageDType(dtype)) unsupported(`${where}: option dtype`, dtype);
  const seen = new Set<string>();
  const plan: PlannedTensor[] = [];
  for (const entry of list) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new ValueError(`${where}: entries must be [name, tensor] pairs`);
    const [name, tensor] = entry;
    if (typeof name !== 'string' || name === '') throw new ValueError(`${where}: tensor names must be non-empty strings, got ${JSON.stringify(name)}`);
    if (name === '__metadata__') throw new ValueError(`${where}: "__metadata__" is reserved by the format; pass metadata in options.metadata`);
    if (seen.has(name)) throw new ValueError(`${where}: tensor name ${JSON.stringify(name)} appears twice`);
    seen.add(name);
    if (!isTensor(tensor)) throw new ValueError(`${where}: ${JSON.stringify(name)} is not a tensor`);
    if (tensor.isDisposed) throw new ValueError(`${where}: tensor ${JSON.stringify(name)} is disposed`);
    const chosen = own(dtypes, name) ?? (tensor.dtype === 'float32' && dtype !== undefined ? dtype : undefined);
    let storage: StorageDType;
    if (chosen !== undefined) {
      if (!isStorageDType(chosen)) unsupported(`${where}: tensor ${JSON.stringify(name)}`, chosen);
      storage = chosen;
    } else {
      try {
        storage = defaultStorageOf(tensor.dtype as DType);
      } catch {
        throw new DTypeError(`${where}: tensor ${JSON.stringify(name)} has dtype ${tensor.dtype}, which has no storage dtype; cast it to float32, int32 or bool`);
      }
    }
    plan.push({ name, tensor, dtype: storage, shape: [...tensor.shape], bytes: tensor.size * itemSize(storage) });
  }
  return plan;
}

/**
 * Whether `name` is selected by a `names` option.
 * @internal
 */
export function selector(names: LoadOptions['names']): (name: string) => boolean {
  if (names === undefined) return () => true;
  if (typeof names === 'function') return names;
  const set = new Set(names);
  return (name) => set.has(name);
}

/**
 * Decodes one tensor's bytes (the buffer may be shared by the result) and makes the tensor.
 * @throws DTypeError naming the file and the tensor for an unsupported dtype or a value that does not fit.
 */
export function makeTensor(where: string, name: string, dtype: string, shape: number[], bytes: Uint8Array): Tensor {
  const { data, dtype: compute } = decodeWith(bytes, dtype, `${where}: tensor ${JSON.stringify(name)}`, false);
  return tf.tensor(data, shape, compute);
}
