/**
 * `nx.io`: the safetensors format, read and written exactly as specified
 * (https://github.com/huggingface/safetensors): 8-byte little-endian header length, JSON header
 * of `{name: {dtype, shape, data_offsets}}` plus optional `__metadata__` strings, padded with
 * spaces to 8 bytes, then the tensors packed with no gaps.
 *
 * - Reading validates the header like the reference implementation before allocating anything
 *   it describes, reads each tensor by offset from the open file, and converts storage dtypes
 *   to compute dtypes (`nx.dtypes`).
 * - Writing streams one tensor at a time into a temporary file beside the destination, fsyncs
 *   it and renames it into place: a failed or killed save leaves the previous file intact, and
 *   the next save into the folder removes what killed writers left ({@link removeStaleTemporaries}).
 * - Every tensor gets a CRC-32 (of its dtype, shape and bytes) in `__metadata__`
 *   ({@link CHECKSUM_KEY}); reading verifies it where present.
 * - {@link openSafetensors} keeps a file open so that all its tensors come from one version of it.
 *
 * @example
 * ```ts
 * await nx.io.saveSafetensors('w.safetensors', { w: nx.ones([2, 3]) });
 * const { tensors, metadata } = await nx.io.loadSafetensors('w.safetensors');
 * ```
 * @module
 */
export { MAX_HEADER_SIZE, type SafetensorsHeader, type SafetensorsTensorInfo } from './header.js';
export { type LoadOptions, type LoadResult, type SaveOptions, type SaveEntries } from './entries.js';
export { readSafetensorsHeader, openSafetensors, loadSafetensors, saveSafetensors, type SafetensorsReader } from './safetensors.js';
export { parseSafetensorsHeader, parseSafetensors, serializeSafetensors } from './memory.js';
export { writeFileAtomic, syncFolder } from './atomic.js';
export { CHECKSUM_KEY } from './checksum.js';
export { writerTag, writerState, tempPath, removeStaleTemporaries } from './owner.js';
export { faultPoint } from './fault.js';
