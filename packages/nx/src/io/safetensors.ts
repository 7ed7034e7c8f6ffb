/**
 * Reading and writing safetensors files: tensors are read one at a time by offset from the open
 * file, and written by streaming into a temporary file that is renamed into place.
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { encodeWith } from '../dtype/codec.js';
import { SafetensorsFormatError, ValueError } from '../errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { checkOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { atomicWrite } from './atomic.js';
import { makeTensor, planWrite, selector, type LoadOptions, type LoadResult, type SaveEntries, type SaveOptions, LOAD_KEYS, SAVE_KEYS } from './entries.js';
import { buildHeader, checkHeaderLength, emptyRecord, parseHeader, type SafetensorsHeader } from './header.js';

async function readExactly(handle: FileHandle, into: Uint8Array, position: number, where: string): Promise<void> {
  let off = 0;
  while (off < into.byteLength) {
    const { bytesRead } = await handle.read(into, off, into.byteLength - off, position + off);
    if (bytesRead === 0) throw new SafetensorsFormatError(`${where}: unexpected end of file at byte ${position + off} (the file shrank while being read?)`);
    off += bytesRead;
  }
}

async function openAndParse(path: string, where: string): Promise<{ handle: FileHandle; header: SafetensorsHeader }> {
  if (typeof path !== 'string' || path === '') throw new ValueError(`${where}: path must be a non-empty string`);
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    if (size >= 8) await readExactly(handle, prefix, 0, where);
    const n = checkHeaderLength(prefix, size, where);
    const headerBytes = new Uint8Array(n);
    await readExactly(handle, headerBytes, 8, where);
    return { handle, header: parseHeader(headerBytes, size, where) };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Reads and validates the header of a safetensors file without reading any tensor data.
 * @param path - the file.
 * @returns the tensors' dtypes, shapes and offsets, the metadata, where the data starts and the
 *   names in file order. Dtypes nx cannot convert (`F8_E4M3`, ...) are listed as they are.
 * @throws SafetensorsFormatError naming the file and the tensor when the file is malformed.
 * @throws the file system's error when the file cannot be opened.
 * @example
 * ```ts
 * const h = await nx.io.readSafetensorsHeader('model.safetensors');
 * console.log(h.tensors['classifier.weight'].shape);
 * ```
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const { handle, header } = await openAndParse(path, `nx.io.readSafetensorsHeader: ${path}`);
  await handle.close();
  return header;
}

/**
 * Loads tensors from a safetensors file, converted to compute dtypes (see `nx.dtypes`). The header
 * is validated first; each selected tensor is then read by offset from the open file, so memory
 * beyond the result is about one tensor's bytes.
 * @param path - the file.
 * @param options - `names`: which tensors (a list or a predicate; default all).
 * @returns the tensors in file order, the metadata and each tensor's storage dtype. The caller
 *   owns the tensors.
 * @throws SafetensorsFormatError naming the file and tensor when the file is malformed.
 * @throws DTypeError for a selected tensor in a dtype nx cannot convert (`dtype F8_E4M3 is not
 *   supported`) or with an integer value that does not fit int32. No tensor is leaked on error.
 * @example
 * ```ts
 * const { tensors } = await nx.io.loadSafetensors('model.safetensors', { names: (n) => n.startsWith('bert.') });
 * ```
 */
export async function loadSafetensors(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  checkOptions('nx.io.loadSafetensors', options, LOAD_KEYS);
  const where = `nx.io.loadSafetensors: ${path}`;
  const wanted = selector(options.names);
  const { handle, header } = await openAndParse(path, where);
  const tensors: Array<[string, Tensor]> = [];
  const dtypes = emptyRecord<string>();
  try {
    for (const name of header.names) {
      if (!wanted(name)) continue;
      const info = header.tensors[name]!;
      const [begin, end] = info.dataOffsets;
      const bytes = new Uint8Array(end - begin);
      await readExactly(handle, bytes, header.dataStart + begin, `${where}: tensor ${JSON.stringify(name)}`);
      tensors.push([name, makeTensor(where, name, info.dtype, info.shape, bytes)]);
      dtypes[name] = info.dtype;
    }
  } catch (err) {
    for (const [, t] of tensors) tf.dispose(t);
    throw err;
  } finally {
    await handle.close().catch(() => undefined);
  }
  return { tensors, metadata: header.metadata, dtypes };
}

/**
 * Saves tensors to a safetensors file, exactly as the spec lays it out (header padded with spaces
 * to 8 bytes, data packed in the given order). The write streams one tensor at a time into a
 * temporary file in the same folder, fsyncs and renames it over `path`: a failure midway (a value
 * that does not fit its storage dtype, a disk error) leaves the previous file intact and removes
 * the temporary file.
 * @param path - the destination; its folder must exist.
 * @param entries - `[name, tensor]` pairs or a record.
 * @param options - `metadata` (strings), `dtypes` per name, `dtype` for float32 tensors
 *   (default: float32 -> F32, int32 -> I32, bool -> BOOL).
 * @throws ValueError for a disposed tensor, a bad name, non-string metadata, or a folder that does not exist.
 * @throws DTypeError when a value does not fit its storage dtype (for instance 300 as I8).
 * @example
 * ```ts
 * await nx.io.saveSafetensors('w.safetensors', { w: nx.ones([2, 2]) }, { dtype: 'BF16', metadata: { format: 'pt' } });
 * ```
 */
export async function saveSafetensors(path: string, entries: SaveEntries, options: SaveOptions = {}): Promise<void> {
  checkOptions('nx.io.saveSafetensors', options, SAVE_KEYS);
  const where = `nx.io.saveSafetensors: ${path}`;
  if (typeof path !== 'string' || path === '') throw new ValueError(`${where}: path must be a non-empty string`);
  const plan = planWrite(where, entries, options);
  const { prefix } = buildHeader(plan, options.metadata);
  await atomicWrite(path, async (w) => {
    await w.write(prefix);
    for (const p of plan) {
      if (p.tensor.isDisposed) throw new ValueError(`${where}: tensor ${JSON.stringify(p.name)} was disposed during the save`);
      const data = (await p.tensor.data()) as Float32Array | Int32Array | Uint8Array;
      const bytes = encodeWith(data, p.dtype, `${where}: tensor ${JSON.stringify(p.name)}`, false);
      if (bytes.byteLength !== p.bytes) throw new Error(`${where}: tensor ${JSON.stringify(p.name)} encoded to ${bytes.byteLength} bytes, expected ${p.bytes}`);
      await w.write(bytes);
    }
  }, where);
}
