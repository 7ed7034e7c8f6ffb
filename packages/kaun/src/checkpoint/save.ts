/**
 * `Checkpoint.save`: a parameter tree to one safetensors file or to shards plus an index.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { CheckpointError } from '../errors.js';
import { flattenWithPaths, type Tree } from '../ptree/index.js';
import { removeStale, saveTarget, shardName } from './files.js';
import { parseSize } from './size.js';

/** Metadata key holding the id shared by the shards and the index of one sharded save. */
export const SAVE_ID_KEY = 'raven.save_id';

/** Options of {@link save}. */
export interface SaveOptions {
  /** `__metadata__` strings stored in the file (in every shard and in the index's `metadata`). Default: none. */
  metadata?: Record<string, string>;
  /**
   * Storage dtype for float32 leaves, e.g. `'F16'` or `'BF16'` to halve the file (round to
   * nearest even). int32 and bool leaves keep I32 and BOOL. Default: `'F32'` (lossless).
   */
  dtype?: nx.dtypes.StorageDType;
  /**
   * Split into shards of at most this many bytes of tensor data: a number of bytes, or a string
   * such as `'5GB'`, `'500MB'` (decimal units) or `'2GiB'` (binary). Tensors fill shards greedily
   * in key order; a tensor larger than the limit gets a shard of its own. Default: one file.
   * When everything fits in one shard, a single file is written (as Hugging Face does).
   */
  maxShardSize?: number | string;
}

const SAVE_KEYS: nx.OptionKeys<SaveOptions> = { metadata: true, dtype: true, maxShardSize: true };

/** Flattens a tree to checkpoint entries, refusing a bare tensor (it has no key). */
export function entriesOf(where: string, tree: Tree): Array<[string, Tensor]> {
  const entries = flattenWithPaths(tree);
  if (entries.length === 1 && entries[0]![0] === '') {
    throw new CheckpointError(`${where}: the tree is a single tensor, which has no key; wrap it in a dict, e.g. { weight: t }`);
  }
  return entries;
}

function storageOf(t: Tensor, dtype: nx.dtypes.StorageDType | undefined): nx.dtypes.StorageDType {
  return t.dtype === 'float32' && dtype !== undefined ? dtype : nx.dtypes.defaultStorageOf(t.dtype as nx.DType);
}

/** Greedy shards in key order; a tensor over the limit stands alone. */
function planShards(entries: Array<[string, Tensor]>, limit: number, dtype: nx.dtypes.StorageDType | undefined): { shards: Array<Array<[string, Tensor]>>; total: number } {
  const shards: Array<Array<[string, Tensor]>> = [];
  let current: Array<[string, Tensor]> = [];
  let used = 0;
  let total = 0;
  for (const entry of entries) {
    const bytes = entry[1].size * nx.dtypes.itemSize(storageOf(entry[1], dtype));
    total += bytes;
    if (current.length > 0 && used + bytes > limit) {
      shards.push(current);
      current = [];
      used = 0;
    }
    current.push(entry);
    used += bytes;
    if (bytes > limit) {
      shards.push(current);
      current = [];
      used = 0;
    }
  }
  if (current.length > 0) shards.push(current);
  return { shards, total };
}

/**
 * Saves entries (already flattened) as one file or shards. Shared by {@link save} and `saveTrees`.
 * @internal
 */
export async function saveEntries(where: string, path: string, entries: Array<[string, Tensor]>, options: SaveOptions): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new CheckpointError(`${where}: path must be a non-empty string`);
  const { metadata, dtype } = options;
  const limit = options.maxShardSize === undefined ? Infinity : parseSize(options.maxShardSize, `${where}: maxShardSize`);
  if (dtype !== undefined && !nx.dtypes.isStorageDType(dtype)) {
    throw new CheckpointError(`${where}: dtype ${JSON.stringify(dtype)} is not a storage dtype (${nx.dtypes.STORAGE_DTYPES.join(', ')})`);
  }
  const { shards, total } = planShards(entries, limit, dtype);
  const files = await saveTarget(path);
  await mkdir(files.dir, { recursive: true });

  if (shards.length <= 1) {
    await nx.io.saveSafetensors(files.file, entries, { metadata, dtype });
    await removeStale(files, new Set(), [files.index]);
    return;
  }

  const id = randomBytes(8).toString('hex');
  const shardMeta = { ...metadata, [SAVE_ID_KEY]: id };
  const names = shards.map((_, i) => shardName(files.prefix, i + 1, shards.length));
  const partials = names.map((n) => join(files.dir, `.${n}.${id}.partial`));
  const weightMap: Record<string, string> = {};
  try {
    for (let i = 0; i < shards.length; i++) {
      await nx.io.saveSafetensors(partials[i]!, shards[i]!, { metadata: shardMeta, dtype });
      for (const [key] of shards[i]!) weightMap[key] = names[i]!;
    }
  } catch (err) {
    for (const p of partials) await unlink(p).catch(() => undefined);
    throw err;
  }
  // Every shard is complete on disk: move them into place, then the index, then clean up.
  for (let i = 0; i < shards.length; i++) await rename(partials[i]!, join(files.dir, names[i]!));
  const indexMeta: Record<string, unknown> = { total_size: total, ...metadata };
  indexMeta.total_size = total;
  indexMeta[SAVE_ID_KEY] = id;
  const index = { metadata: indexMeta, weight_map: weightMap };
  await nx.io.writeFileAtomic(files.index, `${JSON.stringify(index, null, 2)}\n`);
  await removeStale(files, new Set(names), [files.file]);
}

/**
 * Saves a parameter tree as safetensors. Keys are the tree's paths (`layers.0.weight`, see
 * `Ptree.flattenWithPaths`), so any tree saves: parameters, `Layer.state` (batch-norm
 * statistics), optimizer state, or a dict of them (`{ params, state, opt }`).
 *
 * - `path` is a file (`out/model.safetensors`) or a folder (`out/`, giving `out/model.safetensors`);
 *   missing folders are created.
 * - Each file is written atomically (temporary file, fsync, rename): a failed or killed save
 *   leaves the previous checkpoint readable.
 * - With `maxShardSize`, shards `out/model-00001-of-00003.safetensors` and the index
 *   `out/model.safetensors.index.json` (`{"metadata": {"total_size": N}, "weight_map": {...}}`)
 *   are written; only once the new shards and index are complete are files of an earlier save
 *   of the same name removed (stale shards, or the single file). A later unsharded save likewise
 *   removes an earlier index and its shards.
 *
 * @param path - destination file or folder.
 * @param tree - the tree to save (dict keys may not contain `.`).
 * @param options - `metadata`, `dtype` (for float32 leaves, default F32), `maxShardSize`.
 * @throws CheckpointError for a bare-tensor tree, a bad path or size.
 * @throws nx `DTypeError`/`ValueError` when a value cannot be stored (the old file is kept).
 * @example
 * ```ts
 * await Checkpoint.save('out/model.safetensors', vars.params, { metadata: { step: '1000' } });
 * await Checkpoint.save('out/big.safetensors', params, { maxShardSize: '500MB', dtype: 'BF16' });
 * ```
 */
export async function save(path: string, tree: Tree, options: SaveOptions = {}): Promise<void> {
  nx.checkOptions('Checkpoint.save', options, SAVE_KEYS);
  await saveEntries('Checkpoint.save', path, entriesOf('Checkpoint.save', tree), options);
}
