/**
 * Several trees in one checkpoint, each under its name as a key prefix (`params.`, `state.`,
 * `opt.`), plus JSON "extras" (step counters, epoch, RNG seeds): the building block for saving
 * and resuming a whole training state.
 * @module
 */
import * as nx from '@raven/nx';
import { CheckpointError } from '../errors.js';
import type { Tree } from '../ptree/index.js';
import { checkTemplate, readLike, withSources } from './load.js';
import { entriesOf, SAVE_KEYS, saveEntries, type SaveOptions } from './save.js';
import { flattenWithPaths, mapWithPath } from '../ptree/index.js';

/** Metadata key holding the JSON of {@link SaveTreesOptions.extras}. */
export const EXTRAS_KEY = 'raven.extras';

/** Options of {@link saveTrees}: those of `save`, plus `extras`. */
export interface SaveTreesOptions extends SaveOptions {
  /**
   * JSON-serialisable values stored beside the tensors (in the metadata key `raven.extras`),
   * e.g. `{ step: 1000, epoch: 3 }`. Default: none.
   */
  extras?: Record<string, unknown>;
}

/** The option names of {@link SaveTreesOptions}. @internal */
export const SAVE_TREES_KEYS: nx.OptionKeys<SaveTreesOptions> = { ...SAVE_KEYS, extras: true };

/** Options of {@link loadTrees}. */
export interface LoadTreesOptions<T extends Record<string, Tree>> {
  /** The template record, e.g. `{ params, state, opt }` from a fresh init. */
  like: T;
  /**
   * A key of the checkpoint under one of the template's tree names (`params.`, ...) that the
   * template lacks is an error; trees the template does not name are ignored either way.
   * Default: true.
   */
  strict?: boolean;
  /** Check each tensor against its stored checksum. Default: true. */
  verify?: boolean;
}

const LOAD_TREES_KEYS: nx.OptionKeys<LoadTreesOptions<Record<string, Tree>>> = { like: true, strict: true, verify: true };

/** A tagged number JSON cannot hold (NaN, +-Infinity, -0) in the extras. */
const FLOAT_TAG = '$raven.float';

/** JSON of the extras, with NaN, +-Infinity and -0 kept exactly (tagged objects). */
function extrasJson(where: string, extras: Record<string, unknown>): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(extras, function (this: unknown, key: string, v: unknown) {
      const raw = (this as Record<string, unknown>)[key];
      if (typeof raw === 'number' && (!Number.isFinite(raw) || Object.is(raw, -0))) return { [FLOAT_TAG]: Object.is(raw, -0) ? '-0' : String(raw) };
      return v;
    });
  } catch (cause) {
    throw new CheckpointError(`${where}: extras must be JSON-serialisable (${(cause as Error).message})`, { cause });
  }
  if (typeof json !== 'string' || typeof extras !== 'object' || extras === null || Array.isArray(extras)) throw new CheckpointError(`${where}: extras must be a JSON object`);
  return json;
}

/** Parses extras written by {@link extrasJson}. */
function parseExtras(json: string): Record<string, unknown> {
  return JSON.parse(json, (_k, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const tag = (v as Record<string, unknown>)[FLOAT_TAG];
      if (keys.length === 1 && typeof tag === 'string') return tag === '-0' ? -0 : Number(tag);
    }
    return v;
  }) as Record<string, unknown>;
}

/** What {@link loadTrees} returns. */
export interface LoadedTrees<T extends Record<string, Tree>> {
  /** The trees, shaped like the template. The caller owns the tensors. */
  trees: T;
  /** The extras saved with them (`{}` when none). */
  extras: Record<string, unknown>;
  /** All metadata strings of the checkpoint. */
  metadata: Record<string, string>;
}

function checkNames(where: string, trees: Record<string, unknown>): void {
  if (typeof trees !== 'object' || trees === null || Array.isArray(trees) || nx.isTensor(trees)) {
    throw new CheckpointError(`${where}: expected a record of named trees, e.g. { params, state, opt }`);
  }
  for (const name of Object.keys(trees)) {
    if (name === '' || name.includes('.')) throw new CheckpointError(`${where}: tree name ${JSON.stringify(name)} must be non-empty and contain no '.'`);
  }
}

/**
 * Saves several trees in one checkpoint, the keys of tree `name` prefixed with `name.`
 * (`params.layers.0.weight`, `opt.0.mu.layers.0.weight`), with optional JSON `extras`. Empty trees
 * (a stateless layer's `{}`) are fine. Same files, atomicity and sharding as `save`.
 * @param trees - e.g. `{ params, state, opt }`.
 * @param options - `extras`, plus `save`'s `metadata`, `dtype`, `maxShardSize`.
 * @throws CheckpointError for a tree name with `.`, or extras that are not JSON.
 * @example
 * ```ts
 * await Checkpoint.saveTrees('run/ckpt', { params, state, opt }, { extras: { step: 500 } });
 * ```
 */
export async function saveTrees(path: string, trees: Record<string, Tree>, options: SaveTreesOptions = {}): Promise<void> {
  const where = 'Checkpoint.saveTrees';
  nx.checkOptions(where, options, SAVE_TREES_KEYS);
  checkNames(where, trees);
  const { extras, ...rest } = options;
  const metadata = { ...rest.metadata };
  if (extras !== undefined) metadata[EXTRAS_KEY] = extrasJson(where, extras);
  await saveEntries(where, path, entriesOf(where, trees), { ...rest, metadata });
}

/**
 * Loads trees saved by {@link saveTrees} (or any checkpoint whose keys carry those prefixes) into
 * the shape of `like`: each tree as `Checkpoint.load` with a template would (cast to the
 * template's dtypes, keys and shapes checked; with `strict`, the default, a key under a template
 * tree's name that the template lacks is an error). Trees in the file that the template does not
 * name are ignored (load `{ params }` alone from a training checkpoint).
 * @param options - `like`: the template record, e.g. `{ params, state, opt }` from a fresh init;
 *   `strict` (default true); `verify` (default true).
 * @returns the trees, the extras (numbers such as NaN and Infinity come back exactly) and the metadata.
 * @throws CheckpointKeyError naming a missing key, a shape mismatch or unexpected keys;
 *   CheckpointError as `load`.
 * @example
 * ```ts
 * const { trees, extras } = await Checkpoint.loadTrees('run/ckpt', { like: { params, state, opt } });
 * ```
 */
export async function loadTrees<T extends Record<string, Tree>>(path: string, options: LoadTreesOptions<T>): Promise<LoadedTrees<T>> {
  const where = 'Checkpoint.loadTrees';
  nx.checkOptions(where, options, LOAD_TREES_KEYS);
  const { like } = options;
  checkNames(where, like);
  const template = flattenWithPaths(like);
  const names = Object.keys(like);
  const within = (k: string) => names.some((n) => k.startsWith(`${n}.`));
  const { loaded, metadata } = await withSources(where, path, new Set(template.map(([k]) => k)), async (sources) => {
    checkTemplate(where, sources, template, path, options.strict !== false, within);
    return { loaded: await readLike(where, sources, template, options.verify), metadata: sources.metadata };
  });
  let extras: Record<string, unknown> = {};
  const raw = metadata[EXTRAS_KEY];
  if (raw !== undefined) {
    try {
      extras = parseExtras(raw);
    } catch (cause) {
      nx.dispose([...loaded.values()]);
      throw new CheckpointError(`${where}: metadata ${EXTRAS_KEY} of ${path} is not valid JSON`, { cause });
    }
  }
  const trees = mapWithPath(like, (p) => loaded.get(p)!) as T;
  return { trees, extras, metadata };
}
