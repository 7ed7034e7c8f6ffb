/**
 * One training step: loss and gradients in one `valueAndGrad` over the parameters, the optimizer
 * update, the new model state (batch norm), all inside one scope.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { applyUpdates } from '../optim/apply.js';
import { checkState } from './consumed.js';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import { applyTrainable, trainableLeaves, withTrainable } from './frozen.js';
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

/** Disposes the leaves of `old` that are not leaves of `next`. @internal */
export function disposeReplaced(old: Tree[], next: Tree[]): void {
  const keep = new Set<Tensor>();
  for (const t of next) for (const l of Ptree.leaves(t)) keep.add(l);
  for (const t of old) for (const l of Ptree.leaves(t)) if (!keep.has(l) && !l.isDisposed) l.dispose();
}

/** Disposes the tensors of `used` that none of the `live` trees holds. */
function freeUnused(used: Tensor[], live: Tree[]): void {
  const keep = new Set<Tensor>();
  for (const t of live) for (const l of Ptree.leaves(t)) keep.add(l);
  for (const l of used) if (!keep.has(l) && !l.isDisposed) l.dispose();
}

/**
 * The step itself; `onOutput` sees the model output and the target inside the step's scope (fit
 * uses it for training metrics). @internal
 */
export function stepWith<In, Out, Y>(
  trainer: Trainer<In, Out, Y>, state: TrainState, batch: Batch<In, Y>, options: StepOptions,
  onOutput?: (output: Out, target: Y) => void,
): StepResult {
  const fn = 'Train.step';
  if (batch === null || typeof batch !== 'object' || !('x' in batch) || !('y' in batch)) throw new KaunError(`${fn}: expected a batch {x, y}`);
  const key = options.key ?? nx.random.foldIn(state.key, state.step % 0x100000000);
  const { model, loss, optimizer } = trainer;
  const { params, state: modelState, dtype } = state.vars;
  const flat = Ptree.flatten(params);
  const out = nx.scope(() => {
    const lossAndAux = (...leaves: Tensor[]): [Tensor, { state: Tree; y: Out | undefined }] => {
      const r = model.apply({ params: flat.rebuild(leaves), state: modelState, dtype }, batch.x, { training: true, key });
      const l = loss(r.y, batch.y);
      if (!nx.isTensor(l) || l.rank !== 0) throw new KaunError(`${fn}: the loss must return a scalar tensor, got ${nx.isTensor(l) ? `shape [${l.shape.join(', ')}]` : typeof l}`);
      return [l, { state: r.state, y: onOutput ? r.y : undefined }];
    };
    // with Optim.freeze, gradients of the trainable leaves only (frozen ones get the leaf as a stand-in the optimizer ignores)
    const train = trainableLeaves(optimizer, params);
    const vg = train === undefined
      ? nx.valueAndGrad(lossAndAux, { hasAux: true })(...flat.leaves)
      : nx.valueAndGrad((...ts: Tensor[]) => lossAndAux(...withTrainable(flat.leaves, train, ts)), { hasAux: true })(...train.map((i) => flat.leaves[i]!));
    const { value, aux } = vg;
    const grads = train === undefined ? vg.grads : withTrainable(flat.leaves, train, vg.grads);
    if (onOutput) onOutput(aux.y as Out, batch.y);
    const { updates, state: optState } = optimizer.update(flat.rebuild(grads), state.optState, params);
    // free the gradients, then the updates, as soon as they are used: with a large model
    // (BERT-base on wasm's 4 GiB heap) every parameter-sized tree alive at once counts
    freeUnused(vg.grads, [updates, optState]);
    const nextParams = train === undefined ? applyUpdates(params, updates) : applyTrainable(params, updates, train);
    freeUnused(Ptree.leaves(updates), [optState, nextParams]);
    return { params: nextParams, optState, modelState: aux.state, loss: value };
  });
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
