/**
 * Kullback-Leibler divergence between distributions given as log-probabilities and probabilities.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { asFloat, sameShape } from './reduce.js';

/** Options of {@link klDivergence}. */
export interface KlDivergenceOptions {
  /**
   * `'batchmean'` (default: the sum divided by the first axis, the KL divergence per example and
   * PyTorch's recommended setting), `'sum'`, `'mean'` (over every element, PyTorch's default) or
   * `'none'` (the pointwise terms).
   */
  reduction?: 'batchmean' | 'sum' | 'mean' | 'none';
  /** The target is given as log-probabilities too (PyTorch's `log_target`); default false. */
  logTarget?: boolean;
}

const KEYS: nx.OptionKeys<KlDivergenceOptions> = { reduction: true, logTarget: true };

/**
 * `KL(target || exp(input))` as PyTorch's `kl_div(input, target)`: pointwise
 * `target * (log(target) - input)`, with the term 0 where `target` is 0 (so zero probabilities
 * are fine); with `logTarget`, `exp(target) * (target - input)`. `input` holds
 * log-probabilities (e.g. `nx.logSoftmax(logits)`), not logits. Keras' `KLDivergence(y_true, y_pred)`
 * is `klDivergence(nx.log(y_pred), y_true)` with `'batchmean'` for 2-d inputs.
 * @throws ShapeError when the shapes differ; KaunError for an unknown reduction.
 * @example `Loss.klDivergence(nx.logSoftmax(studentLogits), nx.softmax(teacherLogits))`
 */
export function klDivergence(input: Tensor, target: Tensor, options: KlDivergenceOptions = {}): Tensor {
  const fn = 'Loss.klDivergence';
  nx.checkOptions(fn, options, KEYS);
  const reduction = options.reduction ?? 'batchmean';
  if (!['batchmean', 'sum', 'mean', 'none'].includes(reduction)) throw new KaunError(`${fn}: reduction must be 'batchmean', 'sum', 'mean' or 'none', got ${String(reduction)}`);
  sameShape(fn, input, target, 'input', 'target');
  return nx.scope(() => {
    const x = asFloat(input);
    const t = asFloat(target);
    let terms: Tensor;
    if (options.logTarget ?? false) terms = nx.mul(nx.exp(t), nx.sub(t, x));
    else {
      // xlogy: 0 where the target is 0 (log(0) would give NaN through 0 * -inf)
      const positive = nx.greater(t, 0);
      const logT = nx.log(nx.where(positive, t, 1));
      terms = nx.where(positive, nx.mul(t, nx.sub(logT, x)), 0);
    }
    switch (reduction) {
      case 'none': return terms;
      case 'sum': return nx.sum(terms);
      case 'mean': return nx.mean(terms);
      default: return nx.div(nx.sum(terms), x.rank === 0 ? 1 : x.shape[0]!);
    }
  });
}
