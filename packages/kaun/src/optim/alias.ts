/**
 * Ready-made optimizers, each a chain of transformations (Optax's `alias.py`), with PyTorch's
 * defaults and semantics so results can be compared with `torch.optim` step for step.
 * Learning rates may be numbers or schedules (`Optim.Schedule`), evaluated with the step
 * counting from 0 for the first update.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { OptimError } from '../errors.js';
import { scaleByAdam } from './adam.js';
import { scaleByRms, scaleByRss } from './rms.js';
import { addDecayedWeights, chain, scaleByLearningRate, trace } from './transform.js';
import type { LearningRate, Optimizer } from './types.js';
import { checkLr, checkNumber } from './_util.js';

/** Options of {@link sgd}. */
export interface SgdOptions {
  /** Learning rate or schedule; default 1e-3 (PyTorch's). */
  lr?: LearningRate;
  /** Momentum coefficient; default 0 (none). */
  momentum?: number;
  /** Nesterov momentum (needs `momentum > 0`); default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient before momentum, as PyTorch's `weight_decay`; default 0. */
  weightDecay?: number;
}

const SGD_KEYS: nx.OptionKeys<SgdOptions> = { lr: true, momentum: true, nesterov: true, weightDecay: true };

/**
 * Stochastic gradient descent, as `torch.optim.SGD` (dampening 0):
 * `g = grad + weightDecay * p`; with momentum `buf = momentum * buf + g` (buf starts at 0, so the
 * first step uses `g`), `d = nesterov ? g + momentum * buf : buf`; `p -= lr * d`.
 * `chain(addDecayedWeights, trace, scaleByLearningRate)`, each present only when needed.
 * @throws OptimError for options out of range, or `nesterov` without momentum.
 * @example `const opt = Optim.sgd({ lr: 0.1, momentum: 0.9 })`
 */
export function sgd(options: SgdOptions = {}): Optimizer {
  nx.checkOptions('Optim.sgd', options, SGD_KEYS);
  const fn = 'Optim.sgd';
  const lr = checkLr(fn, options.lr ?? 1e-3);
  const momentum = checkNumber(fn, 'momentum', options.momentum ?? 0, 0);
  const wd = checkNumber(fn, 'weightDecay', options.weightDecay ?? 0, 0);
  const nesterov = options.nesterov ?? false;
  if (nesterov && momentum === 0) throw new OptimError(`${fn}: nesterov needs momentum > 0`);
  const parts: Optimizer[] = [];
  if (wd > 0) parts.push(addDecayedWeights({ weightDecay: wd }));
  if (momentum > 0) parts.push(trace({ decay: momentum, nesterov }));
  parts.push(scaleByLearningRate(lr));
  return chain(...parts);
}

/** Options of {@link adam}. */
export interface AdamOptions {
  /** Learning rate or schedule; default 1e-3. */
  lr?: LearningRate;
  /** First-moment decay; default 0.9. */
  b1?: number;
  /** Second-moment decay; default 0.999. */
  b2?: number;
  /** Denominator term; default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient (PyTorch Adam's `weight_decay`, not AdamW's); default 0. */
  weightDecay?: number;
}

const ADAM_KEYS: nx.OptionKeys<AdamOptions> = { lr: true, b1: true, b2: true, eps: true, weightDecay: true };

/**
 * Adam, as `torch.optim.Adam`: `chain(scaleByAdam({b1, b2, eps}), scaleByLearningRate(lr))`
 * (see {@link scaleByAdam} for the formulas; steps count from 1 in the bias corrections). A
 * `weightDecay` is added to the gradient first (coupled L2); for decoupled decay use {@link adamw}.
 * State: `[{count, mu, nu}, {}]` (plus a leading `{}` with weight decay; `{count}` last with a schedule).
 * @throws OptimError for options out of range.
 * @example `const opt = Optim.adam({ lr: 1e-3 })`
 */
export function adam(options: AdamOptions = {}): Optimizer {
  nx.checkOptions('Optim.adam', options, ADAM_KEYS);
  const fn = 'Optim.adam';
  const lr = checkLr(fn, options.lr ?? 1e-3);
  const wd = checkNumber(fn, 'weightDecay', options.weightDecay ?? 0, 0);
  const core = scaleByAdam({ b1: options.b1 ?? 0.9, b2: options.b2 ?? 0.999, eps: options.eps ?? 1e-8 });
  return wd > 0 ? chain(addDecayedWeights({ weightDecay: wd }), core, scaleByLearningRate(lr)) : chain(core, scaleByLearningRate(lr));
}

/** Options of {@link adamw}. */
export interface AdamWOptions extends Omit<AdamOptions, 'weightDecay'> {
  /** Decoupled weight decay; default 0.01 (PyTorch's; Optax's is 1e-4). */
  weightDecay?: number;
  /** Which parameters decay (path, tensor) => boolean; default all, as PyTorch. */
  mask?: (path: string, param: Tensor) => boolean;
}

const ADAMW_KEYS: nx.OptionKeys<AdamWOptions> = { lr: true, b1: true, b2: true, eps: true, weightDecay: true, mask: true };

/**
 * AdamW, matching `torch.optim.AdamW` step for step. With `t` counting from 1:
 * `p -= lr * weightDecay * p` (decoupled decay, with the current learning rate);
 * `m = b1 m + (1 - b1) g`; `v = b2 v + (1 - b2) g^2`;
 * `p -= lr * (m / (1 - b1^t)) / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
 * Both terms use the parameters before the step, so this equals torch's in-place order.
 * `chain(scaleByAdam, addDecayedWeights({weightDecay, mask}), scaleByLearningRate(lr))`;
 * `update` needs `params`.
 * State: `[{count, mu, nu}, {}, {}]` (`{count}` last with a schedule).
 * @throws OptimError for options out of range.
 * @example `const opt = Optim.adamw({ lr: Optim.Schedule.warmupLinear({ peak: 5e-5, warmupSteps: 100, totalSteps: 1000 }) })`
 */
export function adamw(options: AdamWOptions = {}): Optimizer {
  nx.checkOptions('Optim.adamw', options, ADAMW_KEYS);
  const fn = 'Optim.adamw';
  const lr = checkLr(fn, options.lr ?? 1e-3);
  const wd = checkNumber(fn, 'weightDecay', options.weightDecay ?? 0.01, 0);
  const decay = options.mask ? addDecayedWeights({ weightDecay: wd, mask: options.mask }) : addDecayedWeights({ weightDecay: wd });
  return chain(scaleByAdam({ b1: options.b1 ?? 0.9, b2: options.b2 ?? 0.999, eps: options.eps ?? 1e-8 }), decay, scaleByLearningRate(lr));
}

/** Options of {@link rmsprop}. */
export interface RmspropOptions {
  /** Learning rate or schedule; default 1e-2 (PyTorch's). */
  lr?: LearningRate;
  /** Smoothing constant of the squared-gradient mean (PyTorch's name); default 0.99. */
  alpha?: number;
  /** Added after the square root; default 1e-8. */
  eps?: number;
  /** Momentum on the rescaled gradient; default 0. */
  momentum?: number;
  /** Normalise by the variance estimate; default false. */
  centered?: boolean;
  /** L2 penalty added to the gradient first; default 0. */
  weightDecay?: number;
}

const RMSPROP_KEYS: nx.OptionKeys<RmspropOptions> = { lr: true, alpha: true, eps: true, momentum: true, centered: true, weightDecay: true };

/**
 * RMSprop with PyTorch's semantics (`torch.optim.RMSprop`), which differ from Optax's and Keras'
 * (eps outside the square root, no bias correction, `nu` starts at 0):
 * `g = grad + weightDecay * p`; `nu = alpha nu + (1 - alpha) g^2`;
 * `d = g / (sqrt(nu) + eps)` (centred: `sqrt(nu - mu^2)` with `mu` the running mean of `g`);
 * with momentum `buf = momentum * buf + d`, `p -= lr * buf`, else `p -= lr * d`.
 * @throws OptimError for options out of range.
 */
export function rmsprop(options: RmspropOptions = {}): Optimizer {
  nx.checkOptions('Optim.rmsprop', options, RMSPROP_KEYS);
  const fn = 'Optim.rmsprop';
  const lr = checkLr(fn, options.lr ?? 1e-2);
  const momentum = checkNumber(fn, 'momentum', options.momentum ?? 0, 0);
  const wd = checkNumber(fn, 'weightDecay', options.weightDecay ?? 0, 0);
  const parts: Optimizer[] = [];
  if (wd > 0) parts.push(addDecayedWeights({ weightDecay: wd }));
  parts.push(scaleByRms({ decay: options.alpha ?? 0.99, eps: options.eps ?? 1e-8, centered: options.centered ?? false }));
  if (momentum > 0) parts.push(trace({ decay: momentum }));
  parts.push(scaleByLearningRate(lr));
  return chain(...parts);
}

/** Options of {@link adagrad}. */
export interface AdagradOptions {
  /** Learning rate or schedule; default 1e-2 (PyTorch's). */
  lr?: LearningRate;
  /** Starting value of the sum of squares; default 0. */
  initialAccumulatorValue?: number;
  /** Added after the square root; default 1e-10. */
  eps?: number;
  /** L2 penalty added to the gradient first; default 0. */
  weightDecay?: number;
}

const ADAGRAD_KEYS: nx.OptionKeys<AdagradOptions> = { lr: true, initialAccumulatorValue: true, eps: true, weightDecay: true };

/**
 * Adagrad with PyTorch's semantics (`torch.optim.Adagrad` without `lr_decay`; pass a schedule
 * `(s) => lr / (1 + s * lrDecay)` for that): `g = grad + weightDecay * p`; `sum += g^2`;
 * `p -= lr * g / (sqrt(sum) + eps)`.
 * @throws OptimError for options out of range.
 */
export function adagrad(options: AdagradOptions = {}): Optimizer {
  nx.checkOptions('Optim.adagrad', options, ADAGRAD_KEYS);
  const fn = 'Optim.adagrad';
  const lr = checkLr(fn, options.lr ?? 1e-2);
  const wd = checkNumber(fn, 'weightDecay', options.weightDecay ?? 0, 0);
  const parts: Optimizer[] = [];
  if (wd > 0) parts.push(addDecayedWeights({ weightDecay: wd }));
  parts.push(scaleByRss({ initialAccumulatorValue: options.initialAccumulatorValue ?? 0, eps: options.eps ?? 1e-10 }));
  parts.push(scaleByLearningRate(lr));
  return chain(...parts);
}
