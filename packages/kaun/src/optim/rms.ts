/**
 * Rescaling by running squared-gradient statistics: RMSprop's (`scaleByRms`) and Adagrad's
 * (`scaleByRss`), with PyTorch's placement of `eps` (added after the square root).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import type { Optimizer } from './types.js';
import { checkNumber, leavesLike, stateDict } from './_util.js';

/** Options of {@link scaleByRms}. */
export interface ScaleByRmsOptions {
  /** Decay of the running mean of squared gradients (PyTorch's `alpha`); default 0.99. */
  decay?: number;
  /** Added to the denominator after the square root; default 1e-8. */
  eps?: number;
  /** Whether to normalise by the centred second moment (variance estimate); default false. */
  centered?: boolean;
}

const RMS_KEYS: nx.OptionKeys<ScaleByRmsOptions> = { decay: true, eps: true, centered: true };

/**
 * Divides gradients by the root of a running mean of their squares, as `torch.optim.RMSprop`:
 * `nu = decay nu + (1 - decay) g^2`, `update = g / (sqrt(nu) + eps)`; when `centered`,
 * `mu = decay mu + (1 - decay) g` and `update = g / (sqrt(nu - mu^2) + eps)`. `nu` starts at 0
 * (no bias correction). Note Optax's `scale_by_rms` puts `eps` inside the square root instead.
 *
 * State: `{nu}`, or `{nu, mu}` when centred; trees shaped like the parameters.
 * @throws OptimError for `decay` outside [0, 1) or a negative `eps`.
 */
export function scaleByRms(options: ScaleByRmsOptions = {}): Optimizer {
  nx.checkOptions('Optim.scaleByRms', options, RMS_KEYS);
  const fn = 'Optim.scaleByRms';
  const decay = checkNumber(fn, 'decay', options.decay ?? 0.99, 0, 1);
  const eps = checkNumber(fn, 'eps', options.eps ?? 1e-8, 0);
  const centered = options.centered ?? false;
  return {
    init: (params) => nx.scope((): Tree => (centered ? { nu: Ptree.zerosLike(params), mu: Ptree.zerosLike(params) } : { nu: Ptree.zerosLike(params) })),
    update: (grads, state) => {
      const s = stateDict(fn, state, centered ? ['nu', 'mu'] : ['nu']);
      return nx.scope(() => {
        const { leaves: gs, rebuild } = Ptree.flatten(grads);
        const nus = leavesLike(fn, 'the state nu', gs, s['nu']!);
        const mus = centered ? leavesLike(fn, 'the state mu', gs, s['mu']!) : [];
        const cD = nx.scalar(decay);
        const c1mD = nx.scalar(1 - decay);
        const cEps = nx.scalar(eps);
        const nu: Tensor[] = [];
        const mu: Tensor[] = [];
        const ups: Tensor[] = [];
        for (let i = 0; i < gs.length; i++) {
          const g = gs[i]!;
          // one scope per leaf: its temporaries are freed before the next leaf (peak memory)
          const [v, up, m] = nx.scope(() => {
            const v1 = nx.add(nx.mul(nus[i]!, cD), nx.mul(nx.square(g), c1mD));
            if (!centered) return [v1, nx.div(g, nx.add(nx.sqrt(v1), cEps))];
            const m1 = nx.add(nx.mul(mus[i]!, cD), nx.mul(g, c1mD));
            return [v1, nx.div(g, nx.add(nx.sqrt(nx.sub(v1, nx.square(m1))), cEps)), m1];
          });
          nu.push(v!);
          if (centered) mu.push(m!);
          ups.push(up!);
        }
        const newState: Tree = centered ? { nu: rebuild(nu), mu: rebuild(mu) } : { nu: rebuild(nu) };
        return { updates: rebuild(ups), state: newState };
      });
    },
  };
}

/** Options of {@link scaleByRss}. */
export interface ScaleByRssOptions {
  /** Starting value of the sum of squares; default 0 (PyTorch's `initial_accumulator_value`). */
  initialAccumulatorValue?: number;
  /** Added to the denominator after the square root; default 1e-10 (PyTorch's). */
  eps?: number;
}

const RSS_KEYS: nx.OptionKeys<ScaleByRssOptions> = { initialAccumulatorValue: true, eps: true };

/**
 * Divides gradients by the root of the sum of all their squares so far (Adagrad), as
 * `torch.optim.Adagrad`: `sum = sum + g^2`, `update = g / (sqrt(sum) + eps)`.
 * (Optax's `scale_by_rss` uses `rsqrt(sum + eps)` and a 0.1 starting value instead.)
 *
 * State: `{sum}`, a tree shaped like the parameters.
 * @throws OptimError for a negative `initialAccumulatorValue` or `eps`.
 */
export function scaleByRss(options: ScaleByRssOptions = {}): Optimizer {
  nx.checkOptions('Optim.scaleByRss', options, RSS_KEYS);
  const fn = 'Optim.scaleByRss';
  const init0 = checkNumber(fn, 'initialAccumulatorValue', options.initialAccumulatorValue ?? 0, 0);
  const eps = checkNumber(fn, 'eps', options.eps ?? 1e-10, 0);
  return {
    init: (params) => nx.scope(() => ({ sum: Ptree.map(params, (p) => nx.fullLike(p, init0)) })),
    update: (grads, state) => {
      const s = stateDict(fn, state, ['sum']);
      return nx.scope(() => {
        const { leaves: gs, rebuild } = Ptree.flatten(grads);
        const sums = leavesLike(fn, 'the state sum', gs, s['sum']!);
        const cEps = nx.scalar(eps);
        const sum: Tensor[] = [];
        const ups: Tensor[] = [];
        for (let i = 0; i < gs.length; i++) {
          const g = gs[i]!;
          const [acc, up] = nx.scope(() => {
            const a = nx.add(sums[i]!, nx.square(g));
            return [a, nx.div(g, nx.add(nx.sqrt(a), cEps))];
          });
          sum.push(acc!);
          ups.push(up!);
        }
        return { updates: rebuild(ups), state: { sum: rebuild(sum) } as Tree };
      });
    },
  };
}
