/**
 * The whole training state in one checkpoint: `Checkpoint.saveTraining` / `loadTraining`.
 * @module
 */
import * as nx from '@raven/nx';
import { CheckpointError } from '../errors.js';
import type { TrainState } from '../train/index.js';
import { loadTrees, SAVE_TREES_KEYS, saveTrees, type SaveTreesOptions } from './trees.js';

/** The `extras` entry holding the training counters. */
const TRAIN_KEY = 'train';

/** Options of {@link loadTraining}. */
export interface LoadTrainingOptions {
  /** A state made for the same model and optimizer (only inspected). */
  like: TrainState;
  /** Check each tensor against its stored checksum. Default: true. */
  verify?: boolean;
}

const LOAD_TRAINING_KEYS: nx.OptionKeys<LoadTrainingOptions> = { like: true, verify: true };

/** What {@link loadTraining} returns. */
export interface LoadedTraining {
  /** The restored state, ready for `Train.step` / `Train.fit`. The caller owns its tensors. */
  state: TrainState;
  /** The caller's extras given to {@link saveTraining} (`{}` when none). */
  extras: Record<string, unknown>;
}

/**
 * Saves everything `Train` needs to resume: the model parameters (`params.*` keys), the model
 * state such as batch-norm statistics (`state.*`), the optimizer state (`opt.*`), the step count
 * and the dropout key (in the metadata). With the default F32 storage the restored state is
 * exact, so training N steps, saving, loading (in any process) and training M more gives the same
 * parameters, bit for bit on the same backend, as N+M steps straight.
 * @param state - a `Train` state (from `Train.makeState`, `Train.step` or `Train.fit`); not consumed.
 * @param options - `extras` (JSON, e.g. `{ epoch: 3 }`; the name `train` is reserved) and
 *   `save`'s `metadata`, `dtype` (keep the default to resume exactly), `maxShardSize`.
 * @throws CheckpointError for reserved extras; as `Checkpoint.save` otherwise.
 * @example
 * ```ts
 * await Checkpoint.saveTraining('run/ckpt.safetensors', state, { extras: { epoch } });
 * ```
 */
export async function saveTraining(path: string, state: TrainState, options: SaveTreesOptions = {}): Promise<void> {
  const where = 'Checkpoint.saveTraining';
  nx.checkOptions(where, options, SAVE_TREES_KEYS);
  if (state === null || typeof state !== 'object' || state.vars === undefined || state.optState === undefined) {
    throw new CheckpointError(`${where}: expected a Train state {vars, optState, step, key}`);
  }
  if (options.extras !== undefined && Object.prototype.hasOwnProperty.call(options.extras, TRAIN_KEY)) {
    throw new CheckpointError(`${where}: the extras name "${TRAIN_KEY}" is reserved for the step and key`);
  }
  const train = { step: state.step, key: [state.key.k0, state.key.k1], dtype: state.vars.dtype };
  await saveTrees(path, { params: state.vars.params, state: state.vars.state, opt: state.optState }, {
    ...options,
    extras: { ...options.extras, [TRAIN_KEY]: train },
  });
}

/**
 * Loads a training state saved by {@link saveTraining} into the shape of `like` (a state made
 * for the same model and optimizer, e.g. `Train.makeState(trainer, model.init({ key }))`): keys
 * and shapes are checked, values cast to the template's dtypes, and the step and dropout key
 * restored. `like` is only inspected; dispose its tensors when done with it.
 * @returns the state and the caller's extras.
 * @throws CheckpointKeyError naming a missing key or a shape mismatch (another model or optimizer);
 *   CheckpointError when the file holds no training counters.
 * @example
 * ```ts
 * const fresh = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
 * const { state } = await Checkpoint.loadTraining('run/ckpt.safetensors', { like: fresh });
 * ```
 */
export async function loadTraining(path: string, options: LoadTrainingOptions): Promise<LoadedTraining> {
  const where = 'Checkpoint.loadTraining';
  nx.checkOptions(where, options, LOAD_TRAINING_KEYS);
  const { like } = options;
  if (like === null || typeof like !== 'object' || like.vars === undefined || like.optState === undefined) {
    throw new CheckpointError(`${where}: options.like must be a Train state {vars, optState, step, key}`);
  }
  const { trees, extras } = await loadTrees(path, { like: { params: like.vars.params, state: like.vars.state, opt: like.optState }, verify: options.verify });
  const { [TRAIN_KEY]: train, ...rest } = extras as { train?: { step?: unknown; key?: unknown; dtype?: unknown } };
  const key = train?.key;
  if (train === undefined || typeof train.step !== 'number' || !Array.isArray(key) || key.length !== 2) {
    nx.dispose([trees.params, trees.state, trees.opt]);
    throw new CheckpointError(`${where}: ${path} holds no training counters (step, key); was it written by Checkpoint.saveTraining?`);
  }
  const state: TrainState = {
    vars: { params: trees.params, state: trees.state, dtype: like.vars.dtype },
    optState: trees.opt,
    step: train.step,
    key: new nx.random.Key(key[0] as number, key[1] as number),
  };
  return { state, extras: rest };
}
