/**
 * Gradient accumulation: Optax's `MultiSteps`, HF Trainer's `gradient_accumulation_steps`.
 * @module
 */
import * as nx from '@raven/nx';
import { OptimError } from '../errors.js';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import { countStatic, makeCount, nextCount } from './count.js';
import type { Optimizer } from './types.js';
import { leavesLike, stateDict } from './_util.js';

/** Options of {@link multiSteps}. */
export interface MultiStepsOptions {
  /** Micro-batches per update `k` (>= 1). */
  every: number;
}

const KEYS: nx.OptionKeys<MultiStepsOptions> = { every: true };

/**
 * Accumulates gradients over `every` calls and applies `inner` once, to their mean (Optax's
 * `MultiSteps`). Calls 1 .. k-1 return zero updates (the parameters stay as they are, exactly);
 * call k gives `inner`'s update for the mean gradient and resets the sum. With a mean loss and
 * micro-batches of equal size, k micro-batches of `b` examples give the update of one batch of
 * `k b` (up to float rounding), while only one micro-batch's activations are alive at a time: the
 * extra memory is one parameter-sized sum.
 *
 * - `inner` counts its own steps: a schedule inside it advances once per real update (as HF's
 *   scheduler does), not per micro-batch.
 * - The count and the sum are in the state, so a checkpoint taken between two micro-batches
 *   resumes the accumulation exactly; the sum runs across epoch ends (a short last epoch does
 *   not force an update).
 * - State: `{mini_step, acc, inner}` (`mini_step` an int32 scalar, `acc` shaped like the params).
 * @throws OptimError unless `every` is a positive integer or `inner` is an optimizer.
 * @example `Optim.multiSteps(Optim.chain(Optim.clipByGlobalNorm(1), Optim.adamw({ lr: 1e-3 })), { every: 4 })`
 */
export function multiSteps(inner: Optimizer, options: MultiStepsOptions): Optimizer {
  const fn = 'Optim.multiSteps';
  nx.checkOptions(fn, options, KEYS);
  if (!inner || typeof inner.init !== 'function' || typeof inner.update !== 'function') throw new OptimError(`${fn}: inner must be an optimizer (an object with init and update)`);
  const k = options?.every;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw new OptimError(`${fn}: every must be a positive integer, got ${String(k)}`);
  return {
    init: (params) => ({ mini_step: makeCount(0), acc: nx.scope(() => Ptree.zerosLike(params)), inner: inner.init(params) }),
    update: (grads, state, params) => {
      const s = stateDict(fn, state, ['mini_step', 'acc', 'inner']);
      // a host decision: inside nx.jit, one graph for the accumulating steps, one for the update
      const apply = countStatic(fn, s['mini_step'], (step) => step + 1 >= k);
      const { leaves: gs, rebuild } = Ptree.flatten(grads);
      const acc = leavesLike(fn, 'the accumulated sum', gs, s['acc']!);
      if (!apply) {
        const sum = nx.scope(() => rebuild(gs.map((g, i) => nx.add(acc[i]!, g))));
        const zeros = nx.scope(() => rebuild(gs.map((g) => nx.zerosLike(g))));
        return { updates: zeros, state: { mini_step: nextCount(fn, s['mini_step']), acc: sum, inner: s['inner']! } };
      }
      return nx.scope(() => {
        const mean = rebuild(gs.map((g, i) => (k === 1 ? g : nx.div(nx.add(acc[i]!, g), k))));
        const r = inner.update(mean, s['inner']!, params);
        // the mean is freed with the scope unless the inner update kept it (a pass-through)
        const reset = rebuild(gs.map((g) => nx.zerosLike(g)));
        return { updates: r.updates, state: { mini_step: makeCount(0), acc: reset, inner: r.state } as Tree };
      });
    },
  };
}

