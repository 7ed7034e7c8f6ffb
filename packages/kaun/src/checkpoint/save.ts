/**
 * `Checkpoint.save`: a parameter tree to one safetensors file or to shards plus an index.
 *
 * Crash safety. A save never changes a file a reader may be using: every file is written under a
 * temporary name, fsynced and then put in place by one atomic step, and the checkpoint changes
 * from the old save to the new one at a single commit point:
 * - one file: the rename of the new file over `model.safetensors`;
 * - sharded: new shards get names no file has (Hugging Face's `model-00001-of-00004.safetensors`
 *   when free, else `model.{saveId}-00001-of-00004.safetensors`; a shard identical to the file
 *   already under the usual name reuses it), then the index, which records each shard's header
 *   fingerprint, is renamed into place; when it replaces a single file, removing that file is
 *   the commit (a single file wins over an index, as in transformers).
 * Only after the commit are the old shards, a hidden index and temporaries of killed writers
 * removed (`tidy.ts`); names a running save has claimed (`claims.ts`) are left alone. A kill at
 * any step leaves the old or the new checkpoint, complete. Files depend only on what is saved
 * (no ids or times in them), so saving the same tree twice gives the same bytes.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { CheckpointError, TreeStructureError } from '../errors.js';
import type { Vars } from '../layer/layer.js';
import { flattenWithPaths, type Tree } from '../ptree/index.js';
import { kindOf, saveTarget, shardName, uniqueShardName, type CheckpointFiles } from './files.js';
import { claim, SAVE_ID_KEY, SHARDS_KEY } from './claims.js';
import { parseSize } from './size.js';
import { tidy } from './tidy.js';

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
  /**
   * Store a CRC-32 of every tensor in the files' metadata, verified when loading (see
   * `nx.io.saveSafetensors`). Default: true.
   */
  checksums?: boolean;
}

/** The option names of {@link SaveOptions}. @internal */
export const SAVE_KEYS: nx.OptionKeys<SaveOptions> = { metadata: true, dtype: true, maxShardSize: true, checksums: true };

/** Metadata keys the checkpoint writer fills in itself. */
const RESERVED = [SAVE_ID_KEY, SHARDS_KEY, nx.io.CHECKSUM_KEY];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !nx.isTensor(x);
}

/**
 * Whether `tree` is a `Layer.Vars` (`{ params, state, dtype }`, as `model.init` and `Train.vars`
 * return): such a value saves and loads as `{ params, state }`, its `dtype` being a string.
 * @internal
 */
export function isVars(tree: unknown): tree is { params: Tree; state?: Tree; dtype: string } {
  return isRecord(tree) && typeof tree['dtype'] === 'string' && 'params' in tree && Object.keys(tree).every((k) => k === 'params' || k === 'state' || k === 'dtype');
}

/** Flattens a tree to checkpoint entries, refusing a bare tensor (it has no key) and explaining non-tensor leaves. */
export function entriesOf(where: string, tree: Tree | Vars): Array<[string, Tensor]> {
  if (isVars(tree)) tree = { params: tree.params, state: tree.state ?? {} };
  let entries: Array<[string, Tensor]>;
  try {
    entries = flattenWithPaths(tree);
  } catch (err) {
    if (!(err instanceof TreeStructureError) || !err.message.includes('expected a tensor')) throw err;
    const t = tree as unknown;
    const hint = isRecord(t) && 'vars' in t && 'optState' in t
      ? 'this looks like a Train state: save it with Checkpoint.saveTraining (or save Train.vars(state))'
      : 'a checkpoint holds tensors only: put numbers and strings in options.metadata, or use Checkpoint.saveTrees with extras';
    throw new CheckpointError(`${where}: ${err.message}; ${hint}`, { cause: err });
  }
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

/** Creates the checkpoint's folder, with a typed error when a part of the path is a file. */
async function makeFolder(where: string, dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new CheckpointError(`${where}: cannot create the folder ${dir}: a part of that path is a file, not a folder`, { cause });
    }
    throw cause;
  }
}

async function fingerprintOf(path: string): Promise<string | undefined> {
  try {
    return (await nx.io.readSafetensorsHeader(path)).fingerprint;
  } catch {
    return undefined;
  }
}

/**
 * Puts a complete, fsynced shard (at `tmp`, with header fingerprint `fp`) in place: the file
 * already under the usual name when it holds exactly this shard (`reuse`: written with
 * checksums, so the header says what the data is); else the usual name when it is free (a hard
 * link, which fails rather than replace a file); else the save's unique name.
 * @returns the name used.
 */
async function place(tmp: string, fp: string, reuse: boolean, dir: string, usual: string, unique: string): Promise<string> {
  if (reuse && (await fingerprintOf(join(dir, usual))) === fp) {
    nx.io.faultPoint(`unlink temporary of ${usual} (identical file kept)`);
    await unlink(tmp);
    return usual;
  }
  nx.io.faultPoint(`link ${usual}`);
  try {
    await link(tmp, join(dir, usual));
    nx.io.faultPoint(`unlink temporary of ${usual}`);
    await unlink(tmp);
    return usual;
  } catch (err) {
    const code = (err as { code?: string }).code;
    // no hard links on this file system: take the usual name only when it is free
    if (code !== 'EEXIST' && (await kindOf(join(dir, usual))) === 'none') {
      nx.io.faultPoint(`rename temporary -> ${usual}`);
      await rename(tmp, join(dir, usual));
      return usual;
    }
  }
  nx.io.faultPoint(`rename temporary -> ${unique}`);
  await rename(tmp, join(dir, unique));
  return unique;
}

async function saveSharded(files: CheckpointFiles, shards: Array<Array<[string, Tensor]>>, total: number, options: SaveOptions): Promise<void> {
  const { metadata, dtype } = options;
  const checksums = options.checksums !== false;
  const id = randomBytes(8).toString('hex');
  const usual = shards.map((_, i) => shardName(files.prefix, i + 1, shards.length));
  const unique = shards.map((_, i) => uniqueShardName(files.prefix, id, i + 1, shards.length));
  const indexName = files.index.slice(files.dir.length + 1);
  // without checksums a header does not tell two saves apart: a random id does
  const shardMeta = checksums ? metadata : { ...metadata, [SAVE_ID_KEY]: id };
  const held = await claim(files, [...usual, ...unique, indexName]);
  const weightMap = Object.create(null) as Record<string, string>; // a key may be __proto__
  const fingerprints: Record<string, string> = {};
  let committed = false;
  try {
    for (let i = 0; i < shards.length; i++) {
      const tmp = nx.io.tempPath(join(files.dir, usual[i]!));
      await nx.io.saveSafetensors(tmp, shards[i]!, { metadata: shardMeta, dtype, checksums });
      let name: string;
      try {
        const fp = (await nx.io.readSafetensorsHeader(tmp)).fingerprint;
        name = await place(tmp, fp, checksums, files.dir, usual[i]!, unique[i]!);
        fingerprints[name] = fp;
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      for (const [key] of shards[i]!) weightMap[key] = name;
    }
    nx.io.faultPoint('fsync folder (shards)');
    await nx.io.syncFolder(files.dir);
    const indexMeta: Record<string, unknown> = { ...metadata, total_size: total, [SHARDS_KEY]: JSON.stringify(fingerprints) };
    await nx.io.writeFileAtomic(files.index, `${JSON.stringify({ metadata: indexMeta, weight_map: weightMap }, null, 2)}\n`);
    committed = true;
    // A single file hides the index; removing it is the commit when a sharded save replaces one.
    nx.io.faultPoint(`unlink ${files.file}`);
    await unlink(files.file).catch(() => undefined);
    nx.io.faultPoint('fsync folder (committed)');
    await nx.io.syncFolder(files.dir);
  } finally {
    await held.release();
    if (!committed) await tidy(files).catch(() => undefined); // what this save placed is now unclaimed and unreferenced
  }
}

/**
 * Saves entries (already flattened) as one file or shards, crash-safely (see the module notes).
 * Shared by {@link save} and `saveTrees`.
 * @internal
 */
export async function saveEntries(where: string, path: string, entries: Array<[string, Tensor]>, options: SaveOptions): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new CheckpointError(`${where}: path must be a non-empty string`);
  const { metadata, dtype } = options;
  const limit = options.maxShardSize === undefined ? Infinity : parseSize(options.maxShardSize, `${where}: maxShardSize`);
  if (dtype !== undefined && !nx.dtypes.isStorageDType(dtype)) {
    throw new CheckpointError(`${where}: dtype ${JSON.stringify(dtype)} is not a storage dtype (${nx.dtypes.STORAGE_DTYPES.join(', ')})`);
  }
  for (const key of RESERVED) {
    if (metadata !== undefined && Object.prototype.hasOwnProperty.call(metadata, key)) throw new CheckpointError(`${where}: metadata key ${JSON.stringify(key)} is reserved (the checkpoint writer fills it in)`);
  }
  const { shards, total } = planShards(entries, limit, dtype);
  const files = await saveTarget(path, where);
  await makeFolder(where, files.dir);
  await nx.io.removeStaleTemporaries(files.dir);
  if (shards.length <= 1) await nx.io.saveSafetensors(files.file, entries, { metadata, dtype, checksums: options.checksums });
  else await saveSharded(files, shards, total, options);
  await tidy(files);
}

/**
 * Saves a parameter tree as safetensors. Keys are the tree's paths (`layers.0.weight`, see
 * `Ptree.flattenWithPaths`), so any tree saves: parameters, `Layer.state` (batch-norm
 * statistics), optimizer state, or a dict of them (`{ params, state, opt }`). A `Layer.Vars`
 * (`model.init(...)`, `Train.vars(state)`) saves as `{ params, state }`.
 *
 * - Paths, one rule: a path ending in `.safetensors` is the file (`out/model.safetensors`); any
 *   other path is a folder that gets `model.safetensors` inside (`out/run1` ->
 *   `out/run1/model.safetensors`). Missing folders are created.
 * - With `maxShardSize`, shards `model-00001-of-00003.safetensors` and the index
 *   `model.safetensors.index.json` (`{"metadata": {"total_size": N}, "weight_map": {...}}`) are
 *   written, as Hugging Face writes them.
 * - Crash-safe: a save failing or killed at any point leaves the previous checkpoint complete
 *   and loadable, and a load sees the old or the new checkpoint, never a mix. Files of earlier
 *   saves (old shards, an index replaced by a single file) and temporaries of killed saves are
 *   removed once the new checkpoint is in place; those of saves still running in other processes
 *   are left to them.
 * - Every tensor gets a CRC-32 in the metadata, checked when loading (`checksums: false` to skip).
 *
 * @param path - destination file (`*.safetensors`) or folder.
 * @param tree - the tree to save (dict keys may not contain `.`).
 * @param options - `metadata`, `dtype` (for float32 leaves, default F32), `maxShardSize`, `checksums`.
 * @throws CheckpointError for a bare-tensor tree, a non-tensor leaf (saying what to use instead),
 *   a folder path that is a file, a bad size or reserved metadata.
 * @throws nx `DTypeError`/`ValueError` when a value cannot be stored, nx `DiskFullError` when the
 *   disk fills up (the old checkpoint is kept in both cases).
 * @example
 * ```ts
 * await Checkpoint.save('out/model.safetensors', vars.params, { metadata: { step: '1000' } });
 * await Checkpoint.save('out/big', params, { maxShardSize: '500MB', dtype: 'BF16' });
 * ```
 */
export async function save(path: string, tree: Tree | Vars, options: SaveOptions = {}): Promise<void> {
  nx.checkOptions('Checkpoint.save', options, SAVE_KEYS);
  await saveEntries('Checkpoint.save', path, entriesOf('Checkpoint.save', tree), options);
}
