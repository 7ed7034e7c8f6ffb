/**
 * Adam's moment estimates as a transformation (Optax's `scale_by_adam`).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import { countScalar, makeCount, nextCount } from './count.js';
import type { Optimizer } from './types.js';
import { checkNumber, leavesLike, stateDict } from './_util.js';

/** Options of {@link scaleByAdam}. */
export interface ScaleByAdamOptions {
  /** Decay of the first moment; default 0.9. */
  b1?: number;
  /** Decay of the second moment; default 0.999. */
  b2?: number;
  /** Added to the denominator after the square root; default 1e-8. */
  eps?: number;
}

const ADAM_KEYS: nx.OptionKeys<ScaleByAdamOptions> = { b1: true, b2: true, eps: true };

/**
 * Rescales gradients by Adam's bias-corrected moments. With `t` the update number counting from
 * 1 and `g` the gradient:
 * `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
 * `update = (m / (1 - b1^t)) / (sqrt(v) / sqrt(1 - b2^t) + eps)`, as `torch.optim.Adam`
 * (eps is added to the bias-corrected root, not inside it). It is evaluated as
 * `m / (sqrt(v) + eps sqrt(1 - b2^t)) * (sqrt(1 - b2^t) / (1 - b1^t))`, the same value with one
 * kernel fewer per parameter (it agrees with PyTorch's order to float32 rounding); each leaf is one
 * `nx.adamUpdate` (one fused kernel on the native CPU backend). Chain with
 * `scaleByLearningRate` to get Adam (that is what {@link adam} does).
 *
 * State: `{count, mu, nu}`: `count` an int32 scalar (updates done so far), `mu` and `nu` trees
 * shaped like the parameters.
 * @throws OptimError for options out of range (`b1`, `b2` in [0, 1), `eps` >= 0).
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): Optimizer {
  nx.checkOptions('Optim.scaleByAdam', options, ADAM_KEYS);
  const fn = 'Optim.scaleByAdam';
  const b1 = checkNumber(fn, 'b1', options.b1 ?? 0.9, 0, 1);
  const b2 = checkNumber(fn, 'b2', options.b2 ?? 0.999, 0, 1);
  const eps = checkNumber(fn, 'eps', options.eps ?? 1e-8, 0);
  return {
    init: (params) => nx.scope(() => ({ count: makeCount(0), mu: Ptree.zerosLike(params), nu: Ptree.zerosLike(params) })),
    update: (grads, state) => {
      const s = stateDict(fn, state, ['count', 'mu', 'nu']);
      return nx.scope(() => {
        const { leaves: gs, rebuild } = Ptree.flatten(grads);
        const ms = leavesLike(fn, 'the state mu', gs, s['mu']!);
        const vs = leavesLike(fn, 'the state nu', gs, s['nu']!);
        // bias corrections of update t = count + 1, computed on the host from the count
        const cEps = countScalar(fn, s['count'], (c) => eps * Math.sqrt(1 - b2 ** (c + 1)));
        const cStep = countScalar(fn, s['count'], (c) => Math.sqrt(1 - b2 ** (c + 1)) / (1 - b1 ** (c + 1)));
        const mu: Tensor[] = [];
        const nu: Tensor[] = [];
        const ups: Tensor[] = [];
        for (let i = 0; i < gs.length; i++) {
          // one fused kernel per leaf on the native CPU backend, its elementwise ops elsewhere
          const r = nx.adamUpdate(gs[i]!, ms[i]!, vs[i]!, { b1, b2, epsHat: cEps, stepScale: cStep });
          ups.push(r.update);
          mu.push(r.mu);
          nu.push(r.nu);
        }
        return { updates: rebuild(ups), state: { count: nextCount(fn, s['count']), mu: rebuild(mu), nu: rebuild(nu) } as Tree };
      });
    },
  };
}
