/**
 * `Checkpoint.load`, `Checkpoint.loadFlat` and `Checkpoint.info`: read one safetensors file or a
 * sharded checkpoint (index + shards), checking keys and shapes against a template before any
 * tensor data is read.
 * @module
 */
import { stat } from 'node:fs/promises';
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { CheckpointError, CheckpointKeyError } from '../errors.js';
import { flattenWithPaths, fromPaths, mapWithPath, type Tree } from '../ptree/index.js';
import { readIndex } from './index-file.js';
import { loadTarget } from './files.js';
import { SAVE_ID_KEY } from './save.js';

/** Where each key of a checkpoint lives. */
export interface Sources {
  /** Key -> file holding it, in checkpoint order. */
  files: Map<string, string>;
  /** Key -> dtype and shape (from the file headers read so far). */
  infos: Map<string, nx.io.SafetensorsTensorInfo>;
  /** The metadata strings (of the file, or of the index). */
  metadata: Record<string, string>;
  /** `'file'` or `'sharded'`. */
  kind: 'file' | 'sharded';
  /** The files holding the checkpoint (one, or the shards in index order). */
  paths: string[];
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

async function exists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the checkpoint at `path` and reads the headers of the files holding `wanted` keys (all
 * keys when `wanted` is undefined). Keys missing from the checkpoint are left out (the caller
 * reports them).
 * @throws CheckpointError for a missing shard, a key the index names that its shard lacks, shards
 *   from different saves, or a malformed index; nx `SafetensorsFormatError` for a malformed file.
 */
export async function findSources(where: string, path: string, wanted?: ReadonlySet<string>): Promise<Sources> {
  const target = await loadTarget(path, where);
  const files = new Map<string, string>();
  const infos = new Map<string, nx.io.SafetensorsTensorInfo>();
  if (target.kind === 'file') {
    const header = await nx.io.readSafetensorsHeader(target.file);
    for (const name of header.names) {
      files.set(name, target.file);
      infos.set(name, header.tensors[name]!);
    }
    return { files, infos, metadata: { ...header.metadata }, kind: 'file', paths: [target.file] };
  }
  const index = await readIndex(target.index, target.dir, where);
  const saveId = index.metadata[SAVE_ID_KEY];
  const needed = new Map<string, string[]>(); // shard path -> keys wanted from it
  for (const [key, shard] of index.weightMap) {
    if (wanted !== undefined && !wanted.has(key)) continue;
    const p = index.shardPaths.get(shard)!;
    files.set(key, p);
    (needed.get(p) ?? needed.set(p, []).get(p)!).push(key);
  }
  for (const [p, keys] of needed) {
    if (!(await exists(p))) {
      throw new CheckpointError(`${where}: shard ${p} named by index ${target.index} (for ${keys.length} keys, e.g. ${JSON.stringify(keys[0])}) does not exist`);
    }
    const header = await nx.io.readSafetensorsHeader(p);
    if (typeof saveId === 'string' && header.metadata[SAVE_ID_KEY] !== saveId) {
      throw new CheckpointError(`${where}: shard ${p} is not from the save that wrote index ${target.index} (a save was interrupted while replacing this checkpoint); save it again`);
    }
    for (const key of keys) {
      const info = header.tensors[key];
      if (info === undefined || !Object.prototype.hasOwnProperty.call(header.tensors, key)) {
        throw new CheckpointError(`${where}: index ${target.index} maps key ${JSON.stringify(key)} to shard ${p}, which has no such tensor`);
      }
      infos.set(key, info);
    }
  }
  const metadata = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(index.metadata)) if (typeof v === 'string') metadata[k] = v;
  return { files, infos, metadata, kind: 'sharded', paths: [...new Set(index.shardPaths.values())] };
}

/**
 * Reads the given keys file by file; `convert` may replace each tensor (it must dispose what it
 * replaces). On error every tensor read so far is disposed.
 */
export async function readKeys(where: string, sources: Sources, keys: readonly string[], convert: (key: string, t: Tensor) => Tensor = (_k, t) => t): Promise<Map<string, Tensor>> {
  const byFile = new Map<string, string[]>();
  for (const k of keys) {
    const f = sources.files.get(k)!;
    (byFile.get(f) ?? byFile.set(f, []).get(f)!).push(k);
  }
  const out = new Map<string, Tensor>();
  try {
    for (const [file, names] of byFile) {
      const { tensors } = await nx.io.loadSafetensors(file, { names });
      for (let i = 0; i < tensors.length; i++) {
        const [k, t] = tensors[i]!;
        try {
          out.set(k, convert(k, t));
        } catch (err) {
          nx.dispose(tensors.slice(i).map(([, x]) => x));
          throw err;
        }
      }
      const missing = names.find((n) => !out.has(n));
      if (missing !== undefined) throw new CheckpointError(`${where}: ${file} no longer holds ${JSON.stringify(missing)} (changed while loading?)`);
    }
  } catch (err) {
    nx.dispose([...out.values()]);
    throw err;
  }
  return out;
}

/** Options of {@link load}. */
export interface LoadOptions<T extends Tree = Tree> {
  /**
   * A template tree: the result has its structure, each leaf read from the key of its path,
   * cast to the template leaf's dtype; keys the template lacks are not read. The template's
   * tensors are only inspected (shape, dtype), never consumed; disposed tensors are fine.
   */
  like?: T;
}

const LOAD_KEYS: nx.OptionKeys<LoadOptions> = { like: true };

/** A `readKeys` callback that casts each tensor to the dtype its key has in `dtypes` (freeing the original). @internal */
export function castTo(dtypes: Map<string, nx.DType>): (key: string, t: Tensor) => Tensor {
  return (k, t) => {
    const want = dtypes.get(k)!;
    if (t.dtype === want) return t;
    const c = nx.cast(t, want);
    nx.dispose(t);
    return c;
  };
}

/** Checks the template's keys and shapes against the checkpoint's headers (no data is read). */
export function checkTemplate(where: string, sources: Sources, template: Array<[string, Tensor]>, source: string): void {
  const missing = template.filter(([k]) => !sources.infos.has(k));
  if (missing.length > 0) {
    const list = missing.slice(0, 10).map(([k, t]) => `${JSON.stringify(k)} (expected shape ${fmt(t.shape)})`).join(', ');
    throw new CheckpointKeyError(`${where}: ${missing.length} key(s) of the template missing from ${source}: ${list}${missing.length > 10 ? ', ...' : ''}`);
  }
  for (const [k, t] of template) {
    const shape = sources.infos.get(k)!.shape;
    if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
      throw new CheckpointKeyError(`${where}: key ${JSON.stringify(k)} has shape ${fmt(shape)} in ${source} but the template expects ${fmt(t.shape)}`);
    }
  }
}

/**
 * Loads a checkpoint written by {@link save} (or by PyTorch / Hugging Face): a `.safetensors`
 * file, an index `*.safetensors.index.json`, a folder holding either (`model.safetensors.index.json`
 * first, then `model.safetensors`), or the name a sharded save was given.
 *
 * - With `like`: the result has the template's structure; every template key must exist with
 *   the template's shape (checked from the headers before any data is read); values are cast to
 *   the template leaf's dtype (an F16 file into float32 leaves, ...); keys the template lacks are
 *   ignored.
 * - Without `like`: every key is read and the tree is rebuilt from the paths with
 *   `Ptree.fromPaths` (levels whose keys are `0..n-1` become lists). Use {@link loadFlat} for the
 *   flat `key -> tensor` record instead.
 *
 * The caller owns the returned tensors.
 * @throws CheckpointKeyError naming the key (and both shapes) when a template key is missing or
 *   has another shape.
 * @throws CheckpointError when nothing is at `path`, the index is malformed or names a shard or
 *   key the files lack, or a shard path leaves the folder.
 * @throws nx `SafetensorsFormatError` for a malformed file, `DTypeError` for a dtype nx cannot read.
 * @example
 * ```ts
 * const params = await Checkpoint.load('out/model.safetensors', { like: vars.params });
 * ```
 */
export async function load<T extends Tree>(path: string, options: LoadOptions<T> & { like: T }): Promise<T>;
export async function load(path: string, options?: LoadOptions): Promise<Tree>;
export async function load(path: string, options: LoadOptions = {}): Promise<Tree> {
  nx.checkOptions('Checkpoint.load', options, LOAD_KEYS);
  const where = 'Checkpoint.load';
  const { like } = options;
  if (like === undefined) {
    const sources = await findSources(where, path);
    const keys = [...sources.files.keys()];
    const loaded = await readKeys(where, sources, keys);
    try {
      return fromPaths(keys.map((k) => [k, loaded.get(k)!] as const));
    } catch (err) {
      nx.dispose([...loaded.values()]);
      throw new CheckpointError(`${where}: the keys of ${path} do not form a tree (${(err as Error).message}); use Checkpoint.loadFlat`, { cause: err });
    }
  }
  const template = flattenWithPaths(like);
  if (template.length === 1 && template[0]![0] === '') {
    throw new CheckpointError(`${where}: the template is a single tensor, which has no key; wrap it in a dict`);
  }
  const sources = await findSources(where, path, new Set(template.map(([k]) => k)));
  checkTemplate(where, sources, template, path);
  const dtypes = new Map(template.map(([k, t]) => [k, t.dtype as nx.DType]));
  const loaded = await readKeys(where, sources, template.map(([k]) => k), castTo(dtypes));
  return mapWithPath(like, (p) => loaded.get(p)!);
}

/** What {@link loadFlat} returns. */
export interface FlatCheckpoint {
  /** Key -> tensor, in checkpoint order. The caller owns the tensors. */
  tensors: Record<string, Tensor>;
  /** Metadata strings (of the file, or of the index for a sharded checkpoint). */
  metadata: Record<string, string>;
  /** Key -> storage dtype in the file (`F16`, `F32`, ...). */
  dtypes: Record<string, string>;
}

/**
 * Loads a checkpoint (same paths as {@link load}) as a flat record of keys, without a template
 * and without rebuilding a tree: the form to remap keys (e.g. Hugging Face names) yourself.
 * @param options - `names`: which keys (a list or a predicate; default all). Listed names the
 *   checkpoint lacks are a CheckpointKeyError.
 * @throws as {@link load}.
 * @example `const { tensors } = await Checkpoint.loadFlat('bert/', { names: (k) => !k.startsWith('cls.') })`
 */
export async function loadFlat(path: string, options: { names?: string[] | ((key: string) => boolean) } = {}): Promise<FlatCheckpoint> {
  nx.checkOptions('Checkpoint.loadFlat', options, ['names']);
  const where = 'Checkpoint.loadFlat';
  const { names } = options;
  const wanted = Array.isArray(names) ? new Set(names) : undefined;
  const sources = await findSources(where, path, wanted);
  if (wanted !== undefined) {
    const missing = [...wanted].filter((k) => !sources.files.has(k));
    if (missing.length > 0) throw new CheckpointKeyError(`${where}: key(s) missing from ${path}: ${missing.slice(0, 10).map((k) => JSON.stringify(k)).join(', ')}`);
  }
  const keys = [...sources.files.keys()].filter((k) => (wanted !== undefined ? wanted.has(k) : typeof names !== 'function' || names(k)));
  const loaded = await readKeys(where, sources, keys);
  const tensors = Object.create(null) as Record<string, Tensor>; // no prototype: any key is safe
  const dtypes = Object.create(null) as Record<string, string>;
  for (const k of keys) {
    tensors[k] = loaded.get(k)!;
    dtypes[k] = sources.infos.get(k)!.dtype;
  }
  return { tensors, metadata: sources.metadata, dtypes };
}

/** What {@link info} returns. */
export interface CheckpointInfo {
  /** `'file'` (one safetensors file) or `'sharded'` (index + shards). */
  kind: 'file' | 'sharded';
  /** The files holding the data. */
  files: string[];
  /** Key -> storage dtype, shape and file, in checkpoint order. */
  tensors: Record<string, { dtype: string; shape: number[]; file: string }>;
  /** Metadata strings. */
  metadata: Record<string, string>;
  /** Total bytes of tensor data. */
  totalBytes: number;
}

/**
 * Describes a checkpoint (keys, dtypes, shapes, files, metadata) from the headers alone, without
 * reading tensor data.
 * @throws as {@link load}.
 * @example `Object.keys((await Checkpoint.info('out/')).tensors)`
 */
export async function info(path: string): Promise<CheckpointInfo> {
  const sources = await findSources('Checkpoint.info', path);
  const tensors = Object.create(null) as CheckpointInfo['tensors'];
  let totalBytes = 0;
  for (const [k, file] of sources.files) {
    const i = sources.infos.get(k)!;
    tensors[k] = { dtype: i.dtype, shape: i.shape, file };
    totalBytes += i.dataOffsets[1] - i.dataOffsets[0];
  }
  return { kind: sources.kind, files: sources.paths, tensors, metadata: sources.metadata, totalBytes };
}
