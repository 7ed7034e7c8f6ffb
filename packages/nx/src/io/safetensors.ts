/**
 * Reading and writing safetensors files: a file is opened once and every tensor is read by
 * offset from that open handle (so a file replaced meanwhile cannot mix into the result), and
 * written by streaming into a temporary file that is renamed into place.
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { encodeWith } from '../dtype/codec.js';
import { SafetensorsFormatError, ValueError } from '../errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { checkOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { atomicWrite } from './atomic.js';
import { CHECKSUM_KEY, CHECKSUM_PLACEHOLDER, crc32Of, hex, startChecksum, storedChecksums, userMetadata, verifyTensor } from './checksum.js';
import { LOAD_KEYS, SAVE_KEYS, makeTensor, planWrite, selector, type LoadOptions, type LoadResult, type SaveEntries, type SaveOptions } from './entries.js';
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

/** An open safetensors file: its validated header, and its tensors read from the same open handle. */
export interface SafetensorsReader {
  /** The file's path. */
  readonly path: string;
  /** The validated header. */
  readonly header: SafetensorsHeader;
  /** Whether the file stores checksums (see {@link SaveOptions.checksums}). */
  readonly checksummed: boolean;
  /**
   * Reads tensors (all, or those selected by `names`) in file order, converted to compute dtypes,
   * verifying checksums unless `verify: false`.
   * @throws ChecksumError naming the tensor whose bytes do not match; DTypeError for a dtype nx
   *   cannot convert. No tensor is leaked on error.
   */
  read(options?: LoadOptions): Promise<LoadResult>;
  /** Closes the file. Reading after closing fails. */
  close(): Promise<void>;
}

/**
 * Opens a safetensors file and validates its header, keeping the file open so that every tensor
 * read later comes from this very file even if the path is replaced or removed meanwhile (a
 * concurrent save): the way to read several files as one consistent set. Close it when done.
 * @param path - the file.
 * @throws SafetensorsFormatError naming the file when the header is malformed; the file system's
 *   error when it cannot be opened.
 * @example
 * ```ts
 * const f = await nx.io.openSafetensors('model.safetensors');
 * try {
 *   const { tensors } = await f.read({ names: ['classifier.weight'] });
 * } finally {
 *   await f.close();
 * }
 * ```
 */
export async function openSafetensors(path: string): Promise<SafetensorsReader> {
  const where = `nx.io.openSafetensors: ${path}`;
  const { handle, header } = await openAndParse(path, where);
  const sums = storedChecksums(header.metadata, where);
  return {
    path,
    header,
    checksummed: sums !== undefined,
    read: (options = {}) => readFrom(`nx.io.loadSafetensors: ${path}`, handle, header, sums, options),
    close: () => handle.close(),
  };
}

async function readFrom(where: string, handle: FileHandle, header: SafetensorsHeader, sums: Map<string, string> | undefined, options: LoadOptions): Promise<LoadResult> {
  checkOptions('nx.io.loadSafetensors', options, LOAD_KEYS);
  const wanted = selector(options.names);
  const verify = options.verify !== false && sums !== undefined;
  const tensors: Array<[string, Tensor]> = [];
  const dtypes = emptyRecord<string>();
  try {
    for (const name of header.names) {
      if (!wanted(name)) continue;
      const info = header.tensors[name]!;
      const [begin, end] = info.dataOffsets;
      const bytes = new Uint8Array(end - begin);
      await readExactly(handle, bytes, header.dataStart + begin, `${where}: tensor ${JSON.stringify(name)}`);
      if (verify && sums !== undefined) verifyTensor(where, sums, name, info.dtype, info.shape, bytes);
      tensors.push([name, makeTensor(where, name, info.dtype, info.shape, bytes)]);
      dtypes[name] = info.dtype;
    }
  } catch (err) {
    for (const [, t] of tensors) tf.dispose(t);
    throw err;
  }
  return { tensors, metadata: userMetadata(header.metadata), dtypes };
}

/**
 * Loads tensors from a safetensors file, converted to compute dtypes (see `nx.dtypes`). The header
 * is validated first; each selected tensor is then read by offset from the open file (memory
 * beyond the result is about one tensor's bytes) and checked against its stored checksum when
 * the file has them.
 * @param path - the file.
 * @param options - `names`: which tensors (a list or a predicate; default all); `verify`
 *   (default true): check stored checksums.
 * @returns the tensors in file order, the metadata and each tensor's storage dtype. The caller
 *   owns the tensors.
 * @throws SafetensorsFormatError naming the file and tensor when the file is malformed;
 *   ChecksumError (a SafetensorsFormatError) naming the tensor whose bytes, dtype or shape do
 *   not match its checksum.
 * @throws DTypeError for a selected tensor in a dtype nx cannot convert (`dtype F8_E4M3 is not
 *   supported`) or with an integer value that does not fit int32. No tensor is leaked on error.
 * @example
 * ```ts
 * const { tensors } = await nx.io.loadSafetensors('model.safetensors', { names: (n) => n.startsWith('bert.') });
 * ```
 */
export async function loadSafetensors(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  checkOptions('nx.io.loadSafetensors', options, LOAD_KEYS);
  const file = await openSafetensors(path);
  try {
    return await file.read(options);
  } finally {
    await file.close().catch(() => undefined);
  }
}

/**
 * Saves tensors to a safetensors file, exactly as the spec lays it out (header padded with spaces
 * to 8 bytes, data packed in the given order), with a CRC-32 per tensor in `__metadata__` (key
 * `raven.crc32`) unless `checksums: false`. The write streams one tensor at a time into a
 * temporary file in the same folder, fsyncs and renames it over `path`: a failure midway (a value
 * that does not fit its storage dtype, a full disk) or a kill leaves the previous file intact;
 * the temporary file is removed on failure, and by the next save into the folder after a kill.
 * @param path - the destination; its folder must exist.
 * @param entries - `[name, tensor]` pairs or a record.
 * @param options - `metadata` (strings), `dtypes` per name, `dtype` for float32 tensors
 *   (default: float32 -> F32, int32 -> I32, bool -> BOOL), `checksums` (default true).
 * @throws ValueError for a disposed tensor, a bad name, non-string metadata, or a folder that does not exist.
 * @throws DTypeError when a value does not fit its storage dtype (for instance 300 as I8).
 * @throws DiskFullError naming the file, the bytes needed and the bytes free when the disk fills up.
 * @example
 * ```ts
 * await nx.io.saveSafetensors('w.safetensors', { w: nx.ones([2, 2]) }, { dtype: 'BF16', metadata: { format: 'pt' } });
 * ```
 */
export async function saveSafetensors(path: string, entries: SaveEntries, options: SaveOptions = {}): Promise<void> {
  const where = `nx.io.saveSafetensors: ${path}`;
  checkOptions('nx.io.saveSafetensors', options, SAVE_KEYS);
  if (typeof path !== 'string' || path === '') throw new ValueError(`${where}: path must be a non-empty string`);
  const plan = planWrite(where, entries, options);
  const checksums = options.checksums !== false;
  const sums = Object.create(null) as Record<string, string>; // a tensor may be named __proto__
  for (const p of plan) sums[p.name] = CHECKSUM_PLACEHOLDER;
  const withSums = (): Record<string, string> | undefined => (checksums ? { ...options.metadata, [CHECKSUM_KEY]: JSON.stringify(sums) } : options.metadata);
  const { prefix, dataBytes } = buildHeader(plan, withSums());
  await atomicWrite(path, async (w) => {
    await w.write(prefix);
    for (const p of plan) {
      if (p.tensor.isDisposed) throw new ValueError(`${where}: tensor ${JSON.stringify(p.name)} was disposed during the save`);
      const data = (await p.tensor.data()) as Float32Array | Int32Array | Uint8Array;
      const bytes = encodeWith(data, p.dtype, `${where}: tensor ${JSON.stringify(p.name)}`, false);
      if (bytes.byteLength !== p.bytes) throw new Error(`${where}: tensor ${JSON.stringify(p.name)} encoded to ${bytes.byteLength} bytes, expected ${p.bytes}`);
      if (checksums) sums[p.name] = hex(crc32Of(bytes, startChecksum(p.dtype, p.shape)));
      await w.write(bytes);
    }
    if (checksums) {
      // the real checksums have the placeholders' width, so the header keeps its length
      const final = buildHeader(plan, withSums()).prefix;
      if (final.byteLength !== prefix.byteLength) throw new Error(`${where}: header changed length when the checksums were filled in`);
      await w.writeAt(final, 0);
    }
  }, where, prefix.byteLength + dataBytes);
}
