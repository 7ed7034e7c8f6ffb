/**
 * The math of one training step as a function of tensors: what `Train.step` runs eagerly and
 * what `nx.jit` traces when the trainer has `jit: true`. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import type { Vars } from '../layer/index.js';
import { applyUpdates } from '../optim/apply.js';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import { applyTrainable, trainableLeaves, withTrainable } from './frozen.js';
import type { Batch, Trainer } from './types.js';

/** Disposes the tensors of `used` that none of the `live` trees holds. */
function freeUnused(used: Tensor[], live: Tree[]): void {
  const keep = new Set<Tensor>();
  for (const t of live) for (const l of Ptree.leaves(t)) keep.add(l);
  for (const l of used) if (!keep.has(l) && !l.isDisposed) l.dispose();
}

/** What {@link stepCore} computes. @internal */
export interface StepOutputs {
  params: Tree;
  optState: Tree;
  modelState: Tree;
  loss: Tensor;
  /** The predictions metrics read (`trainer.predictions(output)`), when asked for. */
  preds: Tensor | undefined;
}

/**
 * The math of one step as a function of tensors, with no state of its own (what `nx.jit`
 * traces): loss and gradients, the optimizer update, the new model state. @internal
 */
export function stepCore<In, Out, Y>(
  trainer: Trainer<In, Out, Y>, vars: Vars, optState: Tree, batch: Batch<In, Y>, key: nx.random.Key, withPreds: boolean,
): StepOutputs {
  const fn = 'Train.step';
  const { model, loss, optimizer } = trainer;
  const { params, state: modelState, dtype } = vars;
  const flat = Ptree.flatten(params);
  const lossAndAux = (...leaves: Tensor[]): [Tensor, { state: Tree; y: Out | undefined }] => {
    const r = model.apply({ params: flat.rebuild(leaves), state: modelState, dtype }, batch.x, { training: true, key });
    const l = loss(r.y, batch.y);
    if (!nx.isTensor(l) || l.rank !== 0) throw new KaunError(`${fn}: the loss must return a scalar tensor, got ${nx.isTensor(l) ? `shape [${l.shape.join(', ')}]` : typeof l}`);
    return [l, { state: r.state, y: withPreds ? r.y : undefined }];
  };
  // with Optim.freeze, gradients of the trainable leaves only (frozen ones get the leaf as a stand-in the optimizer ignores)
  const train = trainableLeaves(optimizer, params);
  const vg = train === undefined
    ? nx.valueAndGrad(lossAndAux, { hasAux: true })(...flat.leaves)
    : nx.valueAndGrad((...ts: Tensor[]) => lossAndAux(...withTrainable(flat.leaves, train, ts)), { hasAux: true })(...train.map((i) => flat.leaves[i]!));
  const { value, aux } = vg;
  const grads = train === undefined ? vg.grads : withTrainable(flat.leaves, train, vg.grads);
  const preds = withPreds ? trainer.predictions(aux.y as Out) : undefined;
  const { updates, state: nextOptState } = optimizer.update(flat.rebuild(grads), optState, params);
  // free the gradients, then the updates, as soon as they are used: with a large model
  // (BERT-base on wasm's 4 GiB heap) every parameter-sized tree alive at once counts
  freeUnused(vg.grads, [updates, nextOptState]);
  const nextParams = train === undefined ? applyUpdates(params, updates) : applyTrainable(params, updates, train);
  freeUnused(Ptree.leaves(updates), [nextOptState, nextParams]);
  return { params: nextParams, optState: nextOptState, modelState: aux.state, loss: value, preds };
}
