/**
 * Several trees in one checkpoint, each under its name as a key prefix (`params.`, `state.`,
 * `opt.`), plus JSON "extras" (step counters, epoch, RNG seeds): the building block for saving
 * and resuming a whole training state.
 * @module
 */
import * as nx from '@raven/nx';
import { CheckpointError } from '../errors.js';
import type { Tree } from '../ptree/index.js';
import { castTo, checkTemplate, findSources, readKeys } from './load.js';
import { entriesOf, saveEntries, type SaveOptions } from './save.js';
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

/** The keys of {@link SaveTreesOptions}. @internal */
export const SAVE_TREES_KEYS: nx.OptionKeys<SaveTreesOptions> = { metadata: true, dtype: true, maxShardSize: true, extras: true };

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
  nx.checkOptions('Checkpoint.saveTrees', options, SAVE_TREES_KEYS);
  const where = 'Checkpoint.saveTrees';
  checkNames(where, trees);
  const { extras, ...rest } = options;
  const metadata = { ...rest.metadata };
  if (extras !== undefined) {
    let json: string | undefined;
    try {
      json = JSON.stringify(extras);
    } catch (cause) {
      throw new CheckpointError(`${where}: extras must be JSON-serialisable (${(cause as Error).message})`, { cause });
    }
    if (typeof json !== 'string' || typeof extras !== 'object' || extras === null) throw new CheckpointError(`${where}: extras must be a JSON object`);
    metadata[EXTRAS_KEY] = json;
  }
  await saveEntries(where, path, entriesOf(where, trees), { ...rest, metadata });
}

/**
 * Loads trees saved by {@link saveTrees} (or any checkpoint whose keys carry those prefixes) into
 * the shape of `like`: each tree as `Checkpoint.load` with a template would (cast to the
 * template's dtypes, keys and shapes checked, extra keys and trees in the file ignored).
 * @param options - `like`: the template record, e.g. `{ params, state, opt }` from a fresh init.
 * @returns the trees, the extras and the metadata.
 * @throws CheckpointKeyError naming a missing key or a shape mismatch; CheckpointError as `load`.
 * @example
 * ```ts
 * const { trees, extras } = await Checkpoint.loadTrees('run/ckpt', { like: { params, state, opt } });
 * ```
 */
export async function loadTrees<T extends Record<string, Tree>>(path: string, options: { like: T }): Promise<LoadedTrees<T>> {
  nx.checkOptions('Checkpoint.loadTrees', options, ['like']);
  const where = 'Checkpoint.loadTrees';
  const { like } = options;
  checkNames(where, like);
  const template = flattenWithPaths(like);
  const sources = await findSources(where, path, new Set(template.map(([k]) => k)));
  checkTemplate(where, sources, template, path);
  const dtypes = new Map(template.map(([k, t]) => [k, t.dtype as nx.DType]));
  let extras: Record<string, unknown> = {};
  const raw = sources.metadata[EXTRAS_KEY];
  if (raw !== undefined) {
    try {
      extras = JSON.parse(raw) as Record<string, unknown>;
    } catch (cause) {
      throw new CheckpointError(`${where}: metadata ${EXTRAS_KEY} of ${path} is not valid JSON`, { cause });
    }
  }
  const loaded = await readKeys(where, sources, template.map(([k]) => k), castTo(dtypes));
  const trees = mapWithPath(like, (p) => loaded.get(p)!) as T;
  return { trees, extras, metadata: sources.metadata };
}
