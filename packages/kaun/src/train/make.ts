/**
 * Building a trainer and its state.
 * @module
 */
import * as nx from '@raven/nx';
import { KaunError } from '../errors.js';
import type { Vars } from '../layer/index.js';
import { isAccumulator } from '../metric/index.js';
import type { AnyTrainer, Trainer, TrainerOptions, TrainState } from './types.js';

const TRAINER_KEYS: nx.OptionKeys<TrainerOptions> = { model: true, optimizer: true, loss: true, metrics: true, predictions: true, jit: true };

/**
 * Bundles a model, an optimizer, a loss and metrics into a trainer.
 * @throws KaunError when the model, optimizer or loss is missing or of the wrong kind.
 * @example
 * ```ts
 * const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy,
 *   metrics: { accuracy: Metric.accuracy } });
 * ```
 */
export function make<In = nx.Tensor, Out = nx.Tensor, Y = nx.Tensor>(options: TrainerOptions<In, Out, Y>): Trainer<In, Out, Y> {
  const fn = 'Train.make';
  nx.checkOptions(fn, options, TRAINER_KEYS);
  const { model, optimizer, loss } = options ?? ({} as TrainerOptions<In, Out, Y>);
  if (!model || typeof model.init !== 'function' || typeof model.apply !== 'function') throw new KaunError(`${fn}: model must be a layer (an object with init and apply)`);
  if (!optimizer || typeof optimizer.init !== 'function' || typeof optimizer.update !== 'function') throw new KaunError(`${fn}: optimizer must be an optimizer (an object with init and update), e.g. Optim.adam()`);
  if (typeof loss !== 'function') throw new KaunError(`${fn}: loss must be a function (output, target) => scalar tensor, e.g. Loss.softmaxCrossEntropy`);
  const metrics = { ...(options.metrics ?? {}) };
  for (const [name, m] of Object.entries(metrics)) {
    if (typeof m !== 'function' && !isAccumulator(m)) throw new KaunError(`${fn}: metric '${name}' must be a function (preds, targets) => Tensor or an accumulator with update/compute/reset`);
    if (name === 'loss' || name.startsWith('val_')) throw new KaunError(`${fn}: metric name '${name}' is reserved; choose another`);
  }
  if (options.predictions !== undefined && typeof options.predictions !== 'function') throw new KaunError(`${fn}: predictions must be a function (output) => Tensor`);
  const predictions = options.predictions ?? ((out: Out): nx.Tensor => {
    if (!nx.isTensor(out)) {
      throw new KaunError(`${fn}: the model returns an object, not a tensor, so metrics cannot read it; pass predictions: (out) => out.logits (or the field holding the predictions)`);
    }
    return out;
  });
  const jit = jitOptions(fn, options.jit);
  return Object.freeze({ model, optimizer, loss, metrics: Object.freeze(metrics), predictions, jit });
}

function jitOptions(fn: string, jit: TrainerOptions<unknown, unknown, unknown>['jit']): Trainer['jit'] {
  if (jit === undefined || jit === false) return false;
  if (jit === true) return Object.freeze({ xla: false });
  if (jit === null || typeof jit !== 'object' || Array.isArray(jit)) throw new KaunError(`${fn}: jit must be a boolean or { xla?: boolean }`);
  nx.checkOptions(`${fn}: jit`, jit, { xla: true });
  if (jit.xla !== undefined && typeof jit.xla !== 'boolean') throw new KaunError(`${fn}: jit.xla must be a boolean`);
  return Object.freeze({ xla: jit.xla ?? false });
}

/** Options of {@link makeState}. */
export interface MakeStateOptions {
  /** Base key of the per-step keys (dropout); default `nx.random.key(0)`. */
  key?: nx.random.Key;
}

const MAKE_STATE_KEYS: nx.OptionKeys<MakeStateOptions> = { key: true };

/**
 * The initial training state: `vars`, a fresh optimizer state for `vars.params`, step 0.
 * The state takes ownership of `vars` (their tensors are disposed when training replaces them).
 * @example `let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));`
 */
export function makeState(trainer: AnyTrainer, vars: Vars, options: MakeStateOptions = {}): TrainState {
  nx.checkOptions('Train.makeState', options, MAKE_STATE_KEYS);
  if (!vars || vars.params === undefined || vars.state === undefined) throw new KaunError('Train.makeState: expected vars {params, state, dtype} from model.init');
  const key = options.key ?? nx.random.key(0);
  if (!(key instanceof nx.random.Key)) throw new KaunError('Train.makeState: key must come from nx.random.key(seed)');
  return { vars, optState: trainer.optimizer.init(vars.params), step: 0, key };
}

/** The model variables of a state (the live tensors, valid until the state is stepped). */
export function vars(state: TrainState): Vars {
  return state.vars;
}
