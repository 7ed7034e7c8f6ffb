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

/** Options of {@link sigmoidBinaryCrossEntropy}. */
export interface SigmoidBinaryCrossEntropyOptions extends ReductionOptions {
  /** Label smoothing `eps` in [0, 1): targets become `z (1 - eps) + eps / 2` (Keras' rule); default 0. */
  labelSmoothing?: number;
}

const BCE_KEYS: nx.OptionKeys<SigmoidBinaryCrossEntropyOptions> = { labelSmoothing: true, reduction: true };

function checkSmoothing(fn: string, v: number | undefined): number {
  const eps = v ?? 0;
  if (!(typeof eps === 'number' && eps >= 0 && eps < 1)) throw new KaunError(`${fn}: labelSmoothing must be in [0, 1), got ${String(eps)}`);
  return eps;
}

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
  const eps = checkSmoothing(fn, options.labelSmoothing);
  const ignore = options.ignoreIndex;
  checkIgnoreIndex(fn, ignore);
  if (logits.rank < 1) throw new nx.ShapeError(`${fn}: logits must have a class axis, got a scalar`);
  const c = logits.shape[logits.rank - 1]!;
  const sparse = labels.rank === logits.rank - 1 && labels.shape.every((d, i) => d === logits.shape[i]);
  if (!sparse) sameShape(fn, labels, logits, 'labels', 'logits (for sparse labels drop the class axis)');
  if (sparse && labels.dtype !== 'int32') {
    throw new nx.DTypeError(`${fn}: sparse labels (shape [${labels.shape.join(', ')}]) must be int32 class ids, got ${labels.dtype}; cast them with nx.cast(labels, 'int32')`);
  }
  if (!sparse && ignore !== undefined) throw new KaunError(`${fn}: ignoreIndex applies to int32 class ids; these labels have the logits' shape (one-hot or probabilities)`);
  const kept = sparse ? checkClassIds(fn, labels, c, ignore)?.kept : 0;
  return nx.scope(() => {
    const mask = sparse && ignore !== undefined ? nx.notEqual(labels, ignore) : undefined;
    const ids = mask === undefined ? labels : nx.where(mask, labels, 0);
    let perExample: Tensor;
    if (sparse && eps === 0) {
      // one kernel for the loss and its gradient on the native backend (the same formula elsewhere)
      perExample = nx.sparseSoftmaxCrossEntropy(asFloat(logits), ids);
    } else {
      let target = sparse ? oneHotFloat(ids, c) : asFloat(labels);
      if (eps > 0) target = nx.add(nx.mul(target, 1 - eps), eps / c);
      perExample = nx.neg(nx.sum(nx.mul(target, nx.logSoftmax(asFloat(logits))), { axis: -1 }));
    }
    if (mask === undefined) return reduce(fn, perExample, options.reduction);
    perExample = nx.mul(perExample, nx.cast(mask, 'float32'));
    // PyTorch's ignore_index: the mean is over the positions that count (0/0 = NaN when none does)
    if ((options.reduction ?? 'mean') === 'mean') return nx.div(nx.sum(perExample), kept ?? nx.sum(nx.cast(mask, 'float32')));
    return reduce(fn, perExample, options.reduction);
  });
}

/**
 * Binary cross-entropy from logits, elementwise: `softplus(x) - x * z`, which equals
 * `-(z log sigmoid(x) + (1 - z) log(1 - sigmoid(x)))` and is stable for any finite `x`
 * (PyTorch's `binary_cross_entropy_with_logits`).
 *
 * - `logits` and `targets` of the same shape; targets in [0, 1] (int32 or bool are cast).
 * - `labelSmoothing` `eps` replaces the targets by `z (1 - eps) + eps / 2`, as Keras'
 *   `BinaryCrossentropy(label_smoothing)`.
 * - Result: a scalar (`'mean'` over all elements, `'sum'`) or the elementwise losses (`'none'`).
 * @throws ShapeError when the shapes differ; KaunError for `labelSmoothing` outside [0, 1).
 */
export function sigmoidBinaryCrossEntropy(logits: Tensor, targets: Tensor, options: SigmoidBinaryCrossEntropyOptions = {}): Tensor {
  const fn = 'Loss.sigmoidBinaryCrossEntropy';
  nx.checkOptions(fn, options, BCE_KEYS);
  sameShape(fn, logits, targets, 'logits', 'targets');
  const eps = checkSmoothing(fn, options.labelSmoothing);
  return nx.scope(() => {
    const x = asFloat(logits);
    const z = eps > 0 ? nx.add(nx.mul(asFloat(targets), 1 - eps), 0.5 * eps) : asFloat(targets);
    const l = nx.sub(nx.softplus(x), nx.mul(x, z));
    return reduce(fn, l, options.reduction);
  });
}

/** Options of {@link sigmoidFocalLoss}. */
export interface SigmoidFocalLossOptions extends ReductionOptions {
  /** Weight of the positive class in [0, 1] (negatives get `1 - alpha`), or a negative number for none; default 0.25. */
  alpha?: number;
  /** Focusing exponent `gamma >= 0` (0 gives weighted binary cross-entropy); default 2. */
  gamma?: number;
}

const FOCAL_KEYS: nx.OptionKeys<SigmoidFocalLossOptions> = { alpha: true, gamma: true, reduction: true };

/**
 * Binary focal loss from logits (Lin et al. 2017), as torchvision's `sigmoid_focal_loss`:
 * with `p = sigmoid(x)` and `p_t = p z + (1 - p)(1 - z)`,
 * `loss = alpha_t * (1 - p_t)^gamma * bce(x, z)`, `alpha_t = alpha z + (1 - alpha)(1 - z)`
 * (no `alpha_t` factor when `alpha < 0`), elementwise, then reduced.
 *
 * - `logits` and `targets` of the same shape; targets in [0, 1].
 * - Default reduction `'mean'` (torchvision's default is `'none'`).
 * @throws ShapeError when the shapes differ; KaunError for `alpha > 1` or a negative `gamma`.
 * @example `Loss.sigmoidFocalLoss(logits, targets, { alpha: 0.25, gamma: 2 })`
 */
export function sigmoidFocalLoss(logits: Tensor, targets: Tensor, options: SigmoidFocalLossOptions = {}): Tensor {
  const fn = 'Loss.sigmoidFocalLoss';
  nx.checkOptions(fn, options, FOCAL_KEYS);
  const alpha = options.alpha ?? 0.25;
  const gamma = options.gamma ?? 2;
  if (!(typeof alpha === 'number' && alpha <= 1 && Number.isFinite(alpha))) throw new KaunError(`${fn}: alpha must be in [0, 1] (or negative for none), got ${String(alpha)}`);
  if (!(typeof gamma === 'number' && gamma >= 0 && Number.isFinite(gamma))) throw new KaunError(`${fn}: gamma must be a non-negative number, got ${String(gamma)}`);
  sameShape(fn, logits, targets, 'logits', 'targets');
  return nx.scope(() => {
    const x = asFloat(logits);
    const z = asFloat(targets);
    const bce = nx.sub(nx.softplus(x), nx.mul(x, z));
    const p = nx.sigmoid(x);
    // 1 - p_t = p (1 - z) + (1 - p) z
    const oneMinusPt = nx.add(nx.mul(p, nx.sub(1, z)), nx.mul(nx.sub(1, p), z));
    let l = gamma === 0 ? bce : nx.mul(bce, gamma === 1 ? oneMinusPt : nx.pow(oneMinusPt, gamma));
    if (alpha >= 0) l = nx.mul(l, nx.add(nx.mul(z, alpha), nx.mul(nx.sub(1, z), 1 - alpha)));
    return reduce(fn, l, options.reduction);
  });
}
