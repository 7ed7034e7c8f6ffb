/**
 * One training step: loss and gradients in one `valueAndGrad` over the parameters, the optimizer
 * update, the new model state (batch norm), all inside one scope.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { checkState } from './consumed.js';
import { disposeReplaced } from './dispose-replaced.js';
import { jittedStep, jittedSteps } from './jit-step.js';
import { stepCore, type StepOutputs } from './step-core.js';
import type { Batch, Trainer, TrainState } from './types.js';

/** Options of {@link step}. */
export interface StepOptions {
  /** The key for stochastic layers (dropout) in this step; default `nx.random.foldIn(state.key, state.step)`. */
  key?: nx.random.Key;
}

const STEP_KEYS: nx.OptionKeys<StepOptions> = { key: true };

/** What {@link step} returns. */
export interface StepResult {
  /** The state after the update. */
  state: TrainState;
  /** The batch loss (before the update), a scalar tensor owned by the caller. */
  loss: Tensor;
}

/**
 * The step itself; `onPredictions` sees the predictions (`trainer.predictions` of the model
 * output) and the target (fit uses it for training metrics). With `trainer.jit` the step runs as
 * one graph (see `jit-step.ts`). @internal
 */
export function stepWith<In, Out, Y>(
  trainer: Trainer<In, Out, Y>, state: TrainState, batch: Batch<In, Y>, options: StepOptions,
  onPredictions?: (preds: Tensor, target: Y) => void,
): StepResult {
  const { key, withPreds } = stepInputs(state, batch, options, onPredictions);
  const out = trainer.jit
    ? jittedStep(trainer)(state.vars, state.optState, { x: batch.x, y: batch.y }, key, withPreds)
    : nx.scope(() => stepCore(trainer, state.vars, state.optState, batch, key, withPreds) as unknown as nx.Scoped) as unknown as StepOutputs;
  return stepResult(state, batch, out, onPredictions);
}

/**
 * As {@link stepWith}; with `trainer.jit` the graph runs on a worker thread (`callAsync` of
 * nx.jit) and the promise settles when it is done, so the caller can prepare the next batch
 * meanwhile. The state and batch passed in must stay alive until then. @internal
 */
export async function stepWithAsync<In, Out, Y>(
  trainer: Trainer<In, Out, Y>, state: TrainState, batch: Batch<In, Y>, options: StepOptions,
  onPredictions?: (preds: Tensor, target: Y) => void,
): Promise<StepResult> {
  if (!trainer.jit) return stepWith(trainer, state, batch, options, onPredictions);
  const { key, withPreds } = stepInputs(state, batch, options, onPredictions);
  const out = await jittedStep(trainer).callAsync(state.vars, state.optState, { x: batch.x, y: batch.y }, key, withPreds);
  return stepResult(state, batch, out, onPredictions);
}

/**
 * Consecutive steps on `batches` (one shape) as one call of the trainer's jitted steps
 * (`Train.fit`'s `stepsPerExecution`; `trainer.jit` must be set): the values `stepWith` on each
 * in turn gives. Returns the state after the last step and each step's loss (owned by the
 * caller). @internal
 */
export function stepsWith<In, Out, Y>(
  trainer: Trainer<In, Out, Y>, state: TrainState, batches: Batch<In, Y>[],
  onPredictions?: (preds: Tensor, target: Y) => void,
): { state: TrainState; losses: Tensor[] } {
  const inputs = batches.map((b, i) => stepInputs({ ...state, step: state.step + i }, b, {}, onPredictions));
  const out = jittedSteps(trainer, batches.length)(state.vars, state.optState, batches.map((b) => ({ x: b.x, y: b.y })), inputs.map((i) => i.key), onPredictions !== undefined);
  const { params, state: modelState, dtype } = state.vars;
  try {
    out.preds.forEach((p, i) => { if (p !== undefined) onPredictions!(p, batches[i]!.y); });
  } finally {
    for (const p of out.preds) if (p !== undefined && !p.isDisposed) p.dispose();
  }
  disposeReplaced([params, state.optState, modelState], [out.params, out.optState, out.modelState]);
  return {
    state: { vars: { params: out.params, state: out.modelState, dtype }, optState: out.optState, step: state.step + batches.length, key: state.key },
    losses: out.losses,
  };
}

function stepInputs<Y>(state: TrainState, batch: Batch<unknown, Y>, options: StepOptions, onPredictions?: unknown): { key: nx.random.Key; withPreds: boolean } {
  if (batch === null || typeof batch !== 'object' || !('x' in batch) || !('y' in batch)) throw new KaunError('Train.step: expected a batch {x, y}');
  return { key: options.key ?? nx.random.foldIn(state.key, state.step % 0x100000000), withPreds: onPredictions !== undefined };
}

/** The new state from a step's outputs (the replaced tensors of the old one disposed); predictions to `onPredictions`. */
function stepResult<Y>(state: TrainState, batch: Batch<unknown, Y>, out: StepOutputs, onPredictions?: (preds: Tensor, target: Y) => void): StepResult {
  const { params, state: modelState, dtype } = state.vars;
  if (out.preds !== undefined) {
    try {
      onPredictions!(out.preds, batch.y);
    } finally {
      if (!out.preds.isDisposed) out.preds.dispose();
    }
  }
  disposeReplaced([params, state.optState, modelState], [out.params, out.optState, out.modelState]);
  return {
    state: { vars: { params: out.params, state: out.modelState, dtype }, optState: out.optState, step: state.step + 1, key: state.key },
    loss: out.loss,
  };
}

/**
 * One training step on a batch: loss and gradients with one `nx.valueAndGrad` over the
 * parameters (model in training mode, with a fresh key per step for dropout), the optimizer
 * update, and the model's new state (batch-norm statistics). Runs inside `nx.scope`; the
 * replaced tensors of the old state are disposed, so use only the returned state afterwards.
 * The batch is not disposed.
 * @returns the new state and the batch loss (a scalar tensor; dispose it).
 * @throws KaunError for a malformed batch or a loss that is not a scalar.
 * @example
 * ```ts
 * for (const batch of data) {
 *   const r = Train.step(trainer, state, batch);
 *   state = r.state;
 *   nx.dispose([r.loss, batch]);
 * }
 * ```
 */
export function step<In, Out, Y>(trainer: Trainer<In, Out, Y>, state: TrainState, batch: Batch<In, Y>, options: StepOptions = {}): StepResult {
  nx.checkOptions('Train.step', options, STEP_KEYS);
  checkState('Train.step', state);
  return stepWith(trainer, state, batch, options);
}
