/**
 * Gradient clipping: by global norm (the whole tree's L2 norm) and by value.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import type { Optimizer } from './types.js';
import { checkNumber } from './_util.js';

/**
 * The L2 norm of all leaves together, `sqrt(sum over leaves of sum(g^2))`, as a float32 scalar.
 * @example `nx.item(Optim.globalNorm(grads))`
 */
export function globalNorm(tree: Tree): Tensor {
  return nx.scope(() => {
    const sums = Ptree.leaves(tree).map((g) => nx.sum(nx.square(g)));
    if (sums.length === 0) return nx.scalar(0);
    return nx.sqrt(sums.length === 1 ? sums[0]! : nx.sum(nx.stack(sums)));
  });
}

/**
 * Scales the updates so their global norm is at most `maxNorm` (Optax's `clip_by_global_norm`):
 * `g * maxNorm / max(norm, maxNorm)`; updates whose norm is already within the bound pass
 * unchanged. The norm stays on the device (no read). Stateless (state `{}`).
 * @throws OptimError for a non-positive `maxNorm`.
 * @example `Optim.chain(Optim.clipByGlobalNorm(1.0), Optim.adamw({ lr: 1e-4 }))`
 */
export function clipByGlobalNorm(maxNorm: number): Optimizer {
  const m = checkNumber('Optim.clipByGlobalNorm', 'maxNorm', maxNorm, Number.MIN_VALUE);
  return {
    init: () => ({}),
    update: (grads) => nx.scope(() => {
      const norm = globalNorm(grads);
      const factor = nx.div(m, nx.maximum(norm, m));
      return { updates: Ptree.map(grads, (g) => nx.mul(g, factor)), state: {} as Tree };
    }),
  };
}

/**
 * Clips every update element to `[-maxDelta, maxDelta]` (Optax's `clip`). Stateless.
 * @throws OptimError for a non-positive `maxDelta`.
 */
export function clip(maxDelta: number): Optimizer {
  const d = checkNumber('Optim.clip', 'maxDelta', maxDelta, Number.MIN_VALUE);
  return {
    init: () => ({}),
    update: (grads) => ({ updates: nx.scope(() => Ptree.map(grads, (g) => nx.clip(g, -d, d))), state: {} }),
  };
}
