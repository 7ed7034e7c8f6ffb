/**
 * In-memory safetensors: parse a byte buffer, serialize tensors to one.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { encodeWith } from '../dtype/codec.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../options.js';
import { CHECKSUM_KEY, crc32Of, hex, startChecksum, storedChecksums, userMetadata, verifyTensor } from './checksum.js';
import { LOAD_KEYS, SAVE_KEYS, makeTensor, planWrite, selector, type LoadOptions, type LoadResult, type SaveEntries, type SaveOptions } from './entries.js';
import { buildHeader, checkHeaderLength, emptyRecord, parseHeader, type SafetensorsHeader } from './header.js';

/**
 * Validates and parses the header of safetensors bytes held in memory.
 * @throws SafetensorsFormatError as {@link readSafetensorsHeader}.
 */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  const where = 'nx.io.parseSafetensorsHeader: <bytes>';
  const n = checkHeaderLength(bytes.subarray(0, 8), bytes.byteLength, where);
  return parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength, where);
}

/**
 * Parses safetensors bytes held in memory into tensors (the same validation and conversions as
 * {@link loadSafetensors}).
 * @param bytes - a whole safetensors file.
 * @param options - `names`: which tensors (default all).
 * @returns tensors in file order, metadata, storage dtypes. The caller owns the tensors.
 * @throws SafetensorsFormatError for malformed bytes; DTypeError for unsupported dtypes or
 *   integer values that do not fit int32.
 * @example `const { tensors } = nx.io.parseSafetensors(nx.io.serializeSafetensors({ x: nx.ones([2]) }))`
 */
export function parseSafetensors(bytes: Uint8Array, options: LoadOptions = {}): LoadResult {
  const where = 'nx.io.parseSafetensors: <bytes>';
  checkOptions('nx.io.parseSafetensors', options, LOAD_KEYS);
  const n = checkHeaderLength(bytes.subarray(0, 8), bytes.byteLength, where);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength, where);
  const sums = options.verify === false ? undefined : storedChecksums(header.metadata, where);
  const wanted = selector(options.names);
  const tensors: Array<[string, Tensor]> = [];
  const dtypes = emptyRecord<string>();
  try {
    for (const name of header.names) {
      if (!wanted(name)) continue;
      const info = header.tensors[name]!;
      const [begin, end] = info.dataOffsets;
      // copy: the tensor must not keep the caller's whole buffer alive or see later changes to it
      const slice = bytes.slice(header.dataStart + begin, header.dataStart + end);
      if (sums !== undefined) verifyTensor(where, sums, name, info.dtype, info.shape, slice);
      tensors.push([name, makeTensor(where, name, info.dtype, info.shape, slice)]);
      dtypes[name] = info.dtype;
    }
  } catch (err) {
    for (const [, t] of tensors) tf.dispose(t);
    throw err;
  }
  return { tensors, metadata: userMetadata(header.metadata), dtypes };
}

/**
 * Serializes tensors to safetensors bytes in memory (same layout and options as
 * {@link saveSafetensors}). Prefer `saveSafetensors` for large tensors: this holds the whole file.
 * @returns the file's bytes.
 * @throws as {@link saveSafetensors}.
 */
export function serializeSafetensors(entries: SaveEntries, options: SaveOptions = {}): Uint8Array {
  const where = 'nx.io.serializeSafetensors';
  checkOptions(where, options, SAVE_KEYS);
  const plan = planWrite(where, entries, options);
  const encoded = plan.map((p) => encodeWith(p.tensor.dataSync() as Float32Array | Int32Array | Uint8Array, p.dtype, `${where}: tensor ${JSON.stringify(p.name)}`, false));
  let metadata = options.metadata;
  if (options.checksums !== false) {
    const sums = Object.create(null) as Record<string, string>; // a tensor may be named __proto__
    plan.forEach((p, i) => { sums[p.name] = hex(crc32Of(encoded[i]!, startChecksum(p.dtype, p.shape))); });
    metadata = { ...metadata, [CHECKSUM_KEY]: JSON.stringify(sums) };
  }
  const { prefix, dataBytes } = buildHeader(plan, metadata);
  const out = new Uint8Array(prefix.byteLength + dataBytes);
  out.set(prefix, 0);
  let pos = prefix.byteLength;
  for (const bytes of encoded) {
    out.set(bytes, pos);
    pos += bytes.byteLength;
  }
  return out;
}
