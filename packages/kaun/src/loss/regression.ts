/**
 * Regression losses: mean squared error, mean absolute error, Huber.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { asFloat, reduce, REDUCTION_KEYS, sameShape, type ReductionOptions } from './reduce.js';

/**
 * Squared error `(pred - target)^2`, elementwise, then reduced (mean by default: PyTorch's
 * `mse_loss`).
 * @throws ShapeError when the shapes differ.
 */
export function mse(pred: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  nx.checkOptions('Loss.mse', options, REDUCTION_KEYS);
  sameShape('Loss.mse', pred, target, 'pred', 'target');
  return nx.scope(() => reduce('Loss.mse', nx.squaredDifference(asFloat(pred), asFloat(target)), options.reduction));
}

/**
 * Absolute error `|pred - target|`, elementwise, then reduced (mean by default: PyTorch's
 * `l1_loss`).
 * @throws ShapeError when the shapes differ.
 */
export function mae(pred: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  nx.checkOptions('Loss.mae', options, REDUCTION_KEYS);
  sameShape('Loss.mae', pred, target, 'pred', 'target');
  return nx.scope(() => reduce('Loss.mae', nx.abs(nx.sub(asFloat(pred), asFloat(target))), options.reduction));
}

/** Options of {@link huber}. */
export interface HuberOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (> 0); default 1. */
  delta?: number;
}

const HUBER_KEYS: nx.OptionKeys<HuberOptions> = { reduction: true, delta: true };

/**
 * Huber loss, elementwise on `d = pred - target`: `0.5 d^2` for `|d| <= delta`, else
 * `delta * (|d| - 0.5 delta)` (PyTorch's `huber_loss`), then reduced.
 * @throws ShapeError when the shapes differ; KaunError for a non-positive `delta`.
 */
export function huber(pred: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  nx.checkOptions('Loss.huber', options, HUBER_KEYS);
  const fn = 'Loss.huber';
  const delta = options.delta ?? 1;
  if (!(typeof delta === 'number' && delta > 0 && Number.isFinite(delta))) throw new KaunError(`${fn}: delta must be a positive number, got ${String(delta)}`);
  sameShape(fn, pred, target, 'pred', 'target');
  return nx.scope(() => {
    const a = nx.abs(nx.sub(asFloat(pred), asFloat(target)));
    const q = nx.minimum(a, delta);
    // 0.5 q^2 + delta (a - q): quadratic inside, linear outside, continuous derivative
    const l = nx.add(nx.mul(nx.square(q), 0.5), nx.mul(nx.sub(a, q), delta));
    return reduce(fn, l, options.reduction);
  });
}
