/**
 * Classification losses on logits: softmax cross-entropy (one-hot, soft or sparse integer
 * labels) and sigmoid binary cross-entropy. Both are computed from logits in a numerically
 * stable form (no `log(softmax)` or `log(sigmoid)` of saturated values).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { asFloat, reduce, sameShape, type ReductionOptions } from './reduce.js';

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions extends ReductionOptions {
  /**
   * Label smoothing `eps` in [0, 1): the target becomes `(1 - eps) * target + eps / C`
   * (C classes), as PyTorch's `label_smoothing`; default 0.
   */
  labelSmoothing?: number;
}

/** One-hot float32 targets for integer class ids; ids outside `[0, C)` give all-zero rows. @internal */
export function oneHotFloat(labels: Tensor, numClasses: number): Tensor {
  return nx.oneHot(labels, numClasses, { dtype: 'float32' });
}

/**
 * Softmax cross-entropy from logits over the last axis: `-sum(target * logSoftmax(logits))`.
 *
 * - `logits`: float32 `[..., C]`.
 * - `labels`: either int32 class ids of shape `[...]` (sparse; ids outside `[0, C)` are not
 *   checked, to avoid reading the device, and contribute 0), or float32 targets of shape
 *   `[..., C]` (one-hot or probabilities).
 * - Result: a scalar (`'mean'` over examples, `'sum'`) or `[...]` with `'none'`.
 *
 * Stable for any finite logits (uses log-sum-exp; logits of 1e4 are fine).
 * @throws ShapeError when the label shape fits neither form; DTypeError for sparse float labels;
 * KaunError for `labelSmoothing` outside [0, 1).
 * @example `Loss.softmaxCrossEntropy(logits /* [B, 10] *\/, labels /* int32 [B] *\/)`
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  const fn = 'Loss.softmaxCrossEntropy';
  const eps = options.labelSmoothing ?? 0;
  if (!(typeof eps === 'number' && eps >= 0 && eps < 1)) throw new KaunError(`${fn}: labelSmoothing must be in [0, 1), got ${String(eps)}`);
  if (logits.rank < 1) throw new nx.ShapeError(`${fn}: logits must have a class axis, got a scalar`);
  const c = logits.shape[logits.rank - 1]!;
  const sparse = labels.rank === logits.rank - 1 && labels.shape.every((d, i) => d === logits.shape[i]);
  if (!sparse) sameShape(fn, labels, logits, 'labels', 'logits (for sparse labels drop the class axis)');
  if (sparse && labels.dtype !== 'int32') {
    throw new nx.DTypeError(`${fn}: sparse labels (shape [${labels.shape.join(', ')}]) must be int32 class ids, got ${labels.dtype}; cast them with nx.cast(labels, 'int32')`);
  }
  return nx.scope(() => {
    let target = sparse ? oneHotFloat(labels, c) : asFloat(labels);
    if (eps > 0) target = nx.add(nx.mul(target, 1 - eps), eps / c);
    const perExample = nx.neg(nx.sum(nx.mul(target, nx.logSoftmax(asFloat(logits))), { axis: -1 }));
    return reduce(fn, perExample, options.reduction);
  });
}

/**
 * Binary cross-entropy from logits, elementwise: `softplus(x) - x * z`, which equals
 * `-(z log sigmoid(x) + (1 - z) log(1 - sigmoid(x)))` and is stable for any finite `x`
 * (PyTorch's `binary_cross_entropy_with_logits`).
 *
 * - `logits` and `targets` of the same shape; targets in [0, 1] (int32 or bool are cast).
 * - Result: a scalar (`'mean'` over all elements, `'sum'`) or the elementwise losses (`'none'`).
 * @throws ShapeError when the shapes differ.
 */
export function sigmoidBinaryCrossEntropy(logits: Tensor, targets: Tensor, options: ReductionOptions = {}): Tensor {
  const fn = 'Loss.sigmoidBinaryCrossEntropy';
  sameShape(fn, logits, targets, 'logits', 'targets');
  return nx.scope(() => {
    const x = asFloat(logits);
    const l = nx.sub(nx.softplus(x), nx.mul(x, asFloat(targets)));
    return reduce(fn, l, options.reduction);
  });
}
