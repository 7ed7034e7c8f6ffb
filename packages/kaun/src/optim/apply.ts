/**
 * Applying updates to parameters.
 * @module
 */
import * as nx from '@raven/nx';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';

/**
 * `params + updates`, leaf by leaf (Optax's `apply_updates`): a new tree; neither input is
 * disposed. Updates already carry the sign of descent (see `scaleByLearningRate`).
 * @throws TreeStructureError naming the first path where the two trees differ.
 * @example
 * ```ts
 * const { updates, state } = opt.update(grads, optState, params);
 * const next = Optim.applyUpdates(params, updates);
 * ```
 */
export function applyUpdates(params: Tree, updates: Tree): Tree {
  return nx.scope(() => Ptree.map2(params, updates, (p, u) => nx.add(p, u)));
}
