/**
 * Classification losses on logits: softmax cross-entropy (one-hot, soft or sparse integer
 * labels) and sigmoid binary cross-entropy. Both are computed from logits in a numerically
 * stable form (no `log(softmax)` or `log(sigmoid)` of saturated values).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { checkClassIds, checkIgnoreIndex } from './class-ids.js';
import { asFloat, reduce, sameShape, type ReductionOptions } from './reduce.js';

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions extends ReductionOptions {
  /**
   * Label smoothing `eps` in [0, 1): the target becomes `(1 - eps) * target + eps / C`
   * (C classes), as PyTorch's `label_smoothing`; default 0.
   */
  labelSmoothing?: number;
  /**
   * A label value that marks positions to skip (padding, prompt tokens), as PyTorch's
   * `ignore_index` (which defaults to -100 there; here nothing is ignored unless you say so).
   * Skipped positions contribute 0 to `'sum'` and `'none'`, and `'mean'` divides by the number
   * of positions that count (NaN when none does, as PyTorch). Sparse labels only.
   */
  ignoreIndex?: number;
}

const SOFTMAX_CE_KEYS: nx.OptionKeys<SoftmaxCrossEntropyOptions> = { reduction: true, labelSmoothing: true, ignoreIndex: true };
const BCE_KEYS: nx.OptionKeys<ReductionOptions> = { reduction: true };

/** One-hot float32 targets for integer class ids; ids outside `[0, C)` give all-zero rows. @internal */
export function oneHotFloat(labels: Tensor, numClasses: number): Tensor {
  return nx.oneHot(labels, numClasses, { dtype: 'float32' });
}

/**
 * Softmax cross-entropy from logits over the last axis: `-sum(target * logSoftmax(logits))`.
 *
 * - `logits`: float32 `[..., C]`.
 * - `labels`: either int32 class ids of shape `[...]` (sparse; each id must be in `[0, C)` or
 *   equal `ignoreIndex`, checked on the host), or float32 targets of shape `[..., C]` (one-hot
 *   or probabilities).
 * - Result: a scalar (`'mean'` over examples, `'sum'`) or `[...]` with `'none'`.
 *
 * Stable for any finite logits (uses log-sum-exp; logits of 1e4 are fine).
 * @throws LabelError naming a sparse label outside `[0, C)` (and not `ignoreIndex`) and the
 *   class count; ShapeError when the label shape fits neither form; DTypeError for sparse float
 *   labels; KaunError for `labelSmoothing` outside [0, 1), or `ignoreIndex` with dense labels.
 * @example `Loss.softmaxCrossEntropy(logits /* [B, 10] *\/, labels /* int32 [B] *\/)`
 * @example `Loss.softmaxCrossEntropy(logits /* [B, T, V] *\/, targets /* int32 [B, T] *\/, { ignoreIndex: -100 })`
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  const fn = 'Loss.softmaxCrossEntropy';
  nx.checkOptions(fn, options, SOFTMAX_CE_KEYS);
  const eps = options.labelSmoothing ?? 0;
  const ignore = options.ignoreIndex;
  checkIgnoreIndex(fn, ignore);
  if (!(typeof eps === 'number' && eps >= 0 && eps < 1)) throw new KaunError(`${fn}: labelSmoothing must be in [0, 1), got ${String(eps)}`);
  if (logits.rank < 1) throw new nx.ShapeError(`${fn}: logits must have a class axis, got a scalar`);
  const c = logits.shape[logits.rank - 1]!;
  const sparse = labels.rank === logits.rank - 1 && labels.shape.every((d, i) => d === logits.shape[i]);
  if (!sparse) sameShape(fn, labels, logits, 'labels', 'logits (for sparse labels drop the class axis)');
  if (sparse && labels.dtype !== 'int32') {
    throw new nx.DTypeError(`${fn}: sparse labels (shape [${labels.shape.join(', ')}]) must be int32 class ids, got ${labels.dtype}; cast them with nx.cast(labels, 'int32')`);
  }
  if (!sparse && ignore !== undefined) throw new KaunError(`${fn}: ignoreIndex applies to int32 class ids; these labels have the logits' shape (one-hot or probabilities)`);
  const kept = sparse ? checkClassIds(fn, labels, c, ignore).kept : 0;
  return nx.scope(() => {
    const mask = sparse && ignore !== undefined ? nx.notEqual(labels, ignore) : undefined;
    const ids = mask === undefined ? labels : nx.where(mask, labels, 0);
    let target = sparse ? oneHotFloat(ids, c) : asFloat(labels);
    if (eps > 0) target = nx.add(nx.mul(target, 1 - eps), eps / c);
    let perExample = nx.neg(nx.sum(nx.mul(target, nx.logSoftmax(asFloat(logits))), { axis: -1 }));
    if (mask === undefined) return reduce(fn, perExample, options.reduction);
    perExample = nx.mul(perExample, nx.cast(mask, 'float32'));
    // PyTorch's ignore_index: the mean is over the positions that count (0/0 = NaN when none does)
    if ((options.reduction ?? 'mean') === 'mean') return nx.div(nx.sum(perExample), kept);
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
  nx.checkOptions(fn, options, BCE_KEYS);
  sameShape(fn, logits, targets, 'logits', 'targets');
  return nx.scope(() => {
    const x = asFloat(logits);
    const l = nx.sub(nx.softplus(x), nx.mul(x, asFloat(targets)));
    return reduce(fn, l, options.reduction);
  });
}
