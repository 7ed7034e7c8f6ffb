/**
 * `Checkpoint.load`, `Checkpoint.loadFlat` and `Checkpoint.info`: read one safetensors file or a
 * sharded checkpoint (index + shards), checking keys and shapes against a template before any
 * tensor data is read.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { CheckpointError, CheckpointKeyError } from '../errors.js';
import type { Vars } from '../layer/layer.js';
import { flattenWithPaths, fromPaths, mapWithPath, type Tree } from '../ptree/index.js';
import { openCheckpoint, type Sources } from './open.js';
import { isVars } from './save.js';

export { openCheckpoint, type Sources } from './open.js';

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * Reads the given keys from the open files of `sources`, file by file, verifying checksums
 * unless `verify` is false; `convert` may replace each tensor (it must dispose what it
 * replaces). On error every tensor read so far is disposed.
 */
export async function readKeys(where: string, sources: Sources, keys: readonly string[], convert: (key: string, t: Tensor) => Tensor = (_k, t) => t, verify = true): Promise<Map<string, Tensor>> {
  const byFile = new Map<string, string[]>();
  for (const k of keys) {
    const f = sources.files.get(k)!;
    (byFile.get(f) ?? byFile.set(f, []).get(f)!).push(k);
  }
  const out = new Map<string, Tensor>();
  try {
    for (const [file, names] of byFile) {
      const { tensors } = await sources.readers.get(file)!.read({ names, verify });
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
      if (missing !== undefined) throw new CheckpointError(`${where}: ${file} holds no tensor ${JSON.stringify(missing)}`);
    }
  } catch (err) {
    nx.dispose([...out.values()]);
    throw err;
  }
  return out;
}

/** Opens the checkpoint, runs `f` on it and closes it. */
export async function withSources<R>(where: string, path: string, wanted: ReadonlySet<string> | undefined, f: (s: Sources) => Promise<R>): Promise<R> {
  const sources = await openCheckpoint(where, path, wanted);
  try {
    return await f(sources);
  } finally {
    await sources.close();
  }
}

/** Options of {@link load}. */
export interface LoadOptions<T extends Tree | Vars = Tree> {
  /**
   * A template tree: the result has its structure, each leaf read from the key of its path,
   * cast to the template leaf's dtype. The template's tensors are only inspected (shape, dtype),
   * never consumed; disposed tensors are fine. A `Layer.Vars` (`{ params, state, dtype }`) loads
   * a checkpoint saved from one.
   */
  like?: T;
  /**
   * With `like`: a key in the checkpoint that the template lacks is an error (the checkpoint is
   * of a bigger or another model), as PyTorch's `load_state_dict(strict=True)`. `false` ignores
   * such keys (to load part of a checkpoint, e.g. a backbone without its head). Default: true.
   */
  strict?: boolean;
  /** Check each tensor against the checksum stored with it (where the file has them). Default: true. */
  verify?: boolean;
}

const LOAD_KEYS: nx.OptionKeys<LoadOptions> = { like: true, strict: true, verify: true };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const FLOAT_EXACT = 2 ** 24;

/**
 * The first value of `t` that `want` cannot hold exactly, with its position, or undefined: a
 * float into int32 must be a whole number in the int32 range (not NaN or infinite); into bool, 0
 * or 1; an int32 into float32 must be within +-2^24.
 */
function lossOf(t: Tensor, want: nx.DType): { value: number; at: number; why: string } | undefined {
  if (t.dtype === 'bool') return undefined;
  const data = t.dataSync() as Float32Array | Int32Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (want === 'bool' && v !== 0 && v !== 1) return { value: v, at: i, why: 'bool holds 0 and 1 only' };
    if (want === 'int32' && !(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX)) return { value: v, at: i, why: 'int32 holds whole numbers in [-2^31, 2^31) only' };
    if (want === 'float32' && t.dtype === 'int32' && Math.abs(v) > FLOAT_EXACT) return { value: v, at: i, why: 'float32 holds integers exactly up to 2^24' };
  }
  return undefined;
}

/**
 * A `readKeys` callback that casts each tensor to the dtype its key has in `dtypes` (freeing the
 * original), refusing a cast that would change a value.
 * @throws CheckpointError naming the key, the value, its position and what the dtype can hold.
 * @internal
 */
export function castTo(where: string, dtypes: Map<string, nx.DType>, fileDtype: (key: string) => string): (key: string, t: Tensor) => Tensor {
  return (k, t) => {
    const want = dtypes.get(k)!;
    if (t.dtype === want) return t;
    const lost = lossOf(t, want);
    if (lost !== undefined) {
      nx.dispose(t);
      throw new CheckpointError(`${where}: key ${JSON.stringify(k)} holds ${fileDtype(k)} values that the template's ${want} cannot hold: ${lost.value} at index ${lost.at} (${lost.why}); load it into a template leaf of dtype ${t.dtype}`);
    }
    const c = nx.cast(t, want);
    nx.dispose(t);
    return c;
  };
}

/** Checks the template's keys and shapes against the checkpoint's headers (no data is read). */
export function checkTemplate(where: string, sources: Sources, template: Array<[string, Tensor]>, source: string, strict = false, within?: (key: string) => boolean): void {
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
  if (strict) {
    const known = new Set(template.map(([k]) => k));
    const extra = sources.allKeys.filter((k) => !known.has(k) && (within === undefined || within(k)));
    if (extra.length > 0) {
      const list = extra.slice(0, 10).map((k) => JSON.stringify(k)).join(', ');
      throw new CheckpointKeyError(`${where}: ${extra.length} key(s) of ${source} are not in the template: ${list}${extra.length > 10 ? ', ...' : ''} (a checkpoint of a bigger or another model?); pass { strict: false } to load the template's keys and ignore the rest`);
    }
  }
}

/** Reads the template's keys with casts; the tree has the template's structure. @internal */
export async function readLike(where: string, sources: Sources, template: Array<[string, Tensor]>, verify: boolean | undefined): Promise<Map<string, Tensor>> {
  const dtypes = new Map(template.map(([k, t]) => [k, t.dtype as nx.DType]));
  return readKeys(where, sources, template.map(([k]) => k), castTo(where, dtypes, (k) => sources.infos.get(k)!.dtype), verify !== false);
}

/**
 * Loads a checkpoint written by {@link save} (or by PyTorch / Hugging Face): a `.safetensors`
 * file, an index `*.safetensors.index.json`, or a folder holding `model.safetensors` or
 * `model.safetensors.index.json` (a single file wins when both are there, as in transformers).
 *
 * - With `like`: the result has the template's structure; every template key must exist with
 *   the template's shape, and (with `strict`, the default) every key of the checkpoint must be in
 *   the template, all checked from the headers before any data is read; values are cast to the
 *   template leaf's dtype (an F16 file into float32 leaves, ...), and a cast that would change a
 *   value (3e9 or NaN into int32) is refused.
 * - Without `like`: every key is read and the tree is rebuilt from the paths with
 *   `Ptree.fromPaths` (levels whose keys are `0..n-1` become lists). Use {@link loadFlat} for the
 *   flat `key -> tensor` record instead.
 * - Consistent: the files are opened first and read from the open handles, and the shards are
 *   checked to come from one save, so a save running meanwhile gives the old checkpoint or the
 *   new one, never a mix. Stored checksums are verified unless `verify: false`.
 *
 * The caller owns the returned tensors.
 * @throws CheckpointKeyError naming the key (and both shapes) when a template key is missing or
 *   has another shape, or listing the checkpoint's keys the template lacks (with `strict`).
 * @throws CheckpointError when nothing is at `path`, the index is malformed or names a shard or
 *   key the files lack, a shard path leaves the folder, or a value does not fit the template's dtype.
 * @throws nx `ChecksumError` naming a tensor whose bytes do not match their checksum, nx
 *   `SafetensorsFormatError` for a malformed file, `DTypeError` for a dtype nx cannot read.
 * @example
 * ```ts
 * const params = await Checkpoint.load('out/model.safetensors', { like: vars.params });
 * const backbone = await Checkpoint.load('out/full', { like: encoderParams, strict: false });
 * ```
 */
export async function load<T extends Tree | Vars>(path: string, options: LoadOptions<T> & { like: T }): Promise<T>;
export async function load(path: string, options?: LoadOptions): Promise<Tree>;
export async function load(path: string, options: LoadOptions<Tree | Vars> = {}): Promise<Tree | Vars> {
  const where = 'Checkpoint.load';
  nx.checkOptions(where, options, LOAD_KEYS);
  const { like, verify } = options;
  if (like === undefined) {
    return withSources(where, path, undefined, async (sources) => {
      const keys = [...sources.files.keys()];
      const loaded = await readKeys(where, sources, keys, undefined, verify !== false);
      try {
        return fromPaths(keys.map((k) => [k, loaded.get(k)!] as const));
      } catch (err) {
        nx.dispose([...loaded.values()]);
        throw new CheckpointError(`${where}: the keys of ${path} do not form a tree (${(err as Error).message}); use Checkpoint.loadFlat`, { cause: err });
      }
    });
  }
  const vars = isVars(like) ? like : undefined;
  const shape: Tree = vars === undefined ? (like as Tree) : { params: vars.params, state: vars.state ?? {} };
  const template = flattenWithPaths(shape);
  if (template.length === 1 && template[0]![0] === '') {
    throw new CheckpointError(`${where}: the template is a single tensor, which has no key; wrap it in a dict`);
  }
  const loaded = await withSources(where, path, new Set(template.map(([k]) => k)), async (sources) => {
    checkTemplate(where, sources, template, path, options.strict !== false);
    return readLike(where, sources, template, verify);
  });
  const tree = mapWithPath(shape, (p) => loaded.get(p)!);
  return vars === undefined ? tree : { ...(tree as { params: Tree; state: Tree }), dtype: vars.dtype as Vars['dtype'] };
}

/** Options of {@link loadFlat}. */
export interface LoadFlatOptions {
  /** Which keys: a list (each must exist) or a predicate. Default: all. */
  names?: string[] | ((key: string) => boolean);
  /** Check each tensor against its stored checksum. Default: true. */
  verify?: boolean;
}

const LOAD_FLAT_KEYS: nx.OptionKeys<LoadFlatOptions> = { names: true, verify: true };

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
 * Loads a checkpoint (same paths and consistency as {@link load}) as a flat record of keys,
 * without a template and without rebuilding a tree: the form to remap keys (e.g. Hugging Face
 * names) yourself.
 * @param options - `names`: which keys (a list or a predicate; default all). Listed names the
 *   checkpoint lacks are a CheckpointKeyError. `verify` (default true): check stored checksums.
 * @throws as {@link load}.
 * @example `const { tensors } = await Checkpoint.loadFlat('bert/', { names: (k) => !k.startsWith('cls.') })`
 */
export async function loadFlat(path: string, options: LoadFlatOptions = {}): Promise<FlatCheckpoint> {
  const where = 'Checkpoint.loadFlat';
  nx.checkOptions(where, options, LOAD_FLAT_KEYS);
  const { names } = options;
  const wanted = Array.isArray(names) ? new Set(names) : undefined;
  return withSources(where, path, wanted, async (sources) => {
    if (wanted !== undefined) {
      const missing = [...wanted].filter((k) => !sources.files.has(k));
      if (missing.length > 0) throw new CheckpointKeyError(`${where}: key(s) missing from ${path}: ${missing.slice(0, 10).map((k) => JSON.stringify(k)).join(', ')}`);
    }
    const keys = [...sources.files.keys()].filter((k) => (wanted !== undefined ? wanted.has(k) : typeof names !== 'function' || names(k)));
    const loaded = await readKeys(where, sources, keys, undefined, options.verify !== false);
    const tensors = Object.create(null) as Record<string, Tensor>; // no prototype: any key is safe
    const dtypes = Object.create(null) as Record<string, string>;
    for (const k of keys) {
      tensors[k] = loaded.get(k)!;
      dtypes[k] = sources.infos.get(k)!.dtype;
    }
    return { tensors, metadata: sources.metadata, dtypes };
  });
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
  return withSources('Checkpoint.info', path, undefined, async (sources) => {
    const tensors = Object.create(null) as CheckpointInfo['tensors'];
    let totalBytes = 0;
    for (const [k, file] of sources.files) {
      const i = sources.infos.get(k)!;
      tensors[k] = { dtype: i.dtype, shape: i.shape, file };
      totalBytes += i.dataOffsets[1] - i.dataOffsets[0];
    }
    return { kind: sources.kind, files: sources.paths, tensors, metadata: sources.metadata, totalBytes };
  });
}
