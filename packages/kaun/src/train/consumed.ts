/**
 * The check that a training state was not consumed: `Train.step` and `Train.fit` free the
 * tensors of the state they are given that they replace, so a state used twice holds freed
 * tensors. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import * as Ptree from '../ptree/index.js';
import type { TrainState } from './types.js';

const CONSUMED =
  'This TrainState was consumed: Train.step and Train.fit free the tensors of the state they are given as they replace them. ' +
  'Use the state they return: `state = Train.step(trainer, state, batch).state`, `({ state } = await Train.fit(trainer, state, data))`.';

/**
 * Throws a DisposedTensorError naming the first freed tensor of `state` (its path, shape and
 * dtype) and saying that the state was consumed. A pass over the leaves; paths only on failure.
 * @internal
 */
export function checkState(fn: string, state: TrainState): void {
  if (state === null || typeof state !== 'object' || state.vars === undefined) return; // other checks report malformed states
  const parts: Array<[string, Ptree.Tree]> = [['vars.params', state.vars.params], ['vars.state', state.vars.state], ['optState', state.optState]];
  for (const [name, tree] of parts) {
    if (tree === undefined || !Ptree.leaves(tree).some((t) => t.isDisposed)) continue;
    const [path, t] = Ptree.flattenWithPaths(tree).find(([, l]) => l.isDisposed)!;
    throw new nx.DisposedTensorError(fn, `state.${name}${path === '' ? '' : `.${path}`}`, t, CONSUMED);
  }
}
