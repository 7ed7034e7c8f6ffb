/**
 * Per-batch classification metrics as scalar float32 tensors (they stay on the device):
 * accuracy, binary accuracy, top-k accuracy.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { checkIgnoreIndex } from '../loss/class-ids.js';
import { checkedIds, keptMask, labelIds, predIds, sameIds } from './_ids.js';

/** Options of {@link accuracy}. */
export interface AccuracyOptions {
  /**
   * A label value whose positions are skipped (padding), as `Loss.softmaxCrossEntropy`'s
   * `ignoreIndex`; the accuracy is over the other positions (NaN when none is left).
   */
  ignoreIndex?: number;
}

const ACCURACY_KEYS: nx.OptionKeys<AccuracyOptions> = { ignoreIndex: true };

/**
 * Fraction of examples whose predicted class equals the label.
 *
 * - `preds`: scores `[B, C]` (logits or probabilities; argmax is taken) or int32 class ids `[B]`.
 * - `labels`: int32 class ids `[B]` (each in `[0, C)` or equal to `ignoreIndex`) or one-hot
 *   rows `[B, C]`.
 * @returns a float32 scalar in [0, 1].
 * @throws LabelError naming a class id out of range and the class count; ShapeError when the
 *   shapes do not fit together.
 * @example `nx.item(Metric.accuracy(logits, labels))`
 */
export function accuracy(preds: Tensor, labels: Tensor, options: AccuracyOptions = {}): Tensor {
  const fn = 'Metric.accuracy';
  nx.checkOptions(fn, options, ACCURACY_KEYS);
  const ignore = options.ignoreIndex;
  checkIgnoreIndex(fn, ignore);
  return nx.scope(() => {
    const l = labelIds(fn, preds, labels);
    const p = predIds(fn, preds, l.rank, 0.5);
    sameIds(fn, p, l);
    const kept = checkedIds(fn, preds, labels, l, ignore);
    const hits = nx.cast(nx.equal(p, l), 'float32');
    if (ignore === undefined) return nx.mean(hits);
    return nx.div(nx.sum(nx.mul(hits, keptMask(l, ignore))), kept);
  });
}

/** Options of {@link binaryAccuracy}. */
export interface BinaryAccuracyOptions {
  /** A prediction above this counts as positive; default 0.5 (use 0 for logits). */
  threshold?: number;
}

const BINARY_ACCURACY_KEYS: nx.OptionKeys<BinaryAccuracyOptions> = { threshold: true };

/**
 * Fraction of elements where `preds > threshold` agrees with the 0/1 target (targets above 0.5
 * count as positive), as Keras' `binary_accuracy`.
 * @returns a float32 scalar in [0, 1].
 * @throws ShapeError when the shapes differ.
 */
export function binaryAccuracy(preds: Tensor, targets: Tensor, options: BinaryAccuracyOptions = {}): Tensor {
  const fn = 'Metric.binaryAccuracy';
  nx.checkOptions(fn, options, BINARY_ACCURACY_KEYS);
  const threshold = options.threshold ?? 0.5;
  if (preds.rank !== targets.rank || preds.shape.some((d, i) => d !== targets.shape[i])) {
    throw new nx.ShapeError(`${fn}: predictions have shape [${preds.shape.join(', ')}] but targets have [${targets.shape.join(', ')}]`);
  }
  return nx.scope(() => {
    const p = nx.greater(nx.cast(preds, 'float32'), threshold);
    const t = nx.greater(nx.cast(targets, 'float32'), 0.5);
    return nx.mean(nx.cast(nx.equal(p, t), 'float32'));
  });
}

/** Options of {@link topKAccuracy}. */
export interface TopKAccuracyOptions extends AccuracyOptions {
  /** How many top classes count; default 5. */
  k?: number;
}

const TOP_K_KEYS: nx.OptionKeys<TopKAccuracyOptions> = { k: true, ignoreIndex: true };

/**
 * Fraction of examples whose label is among the `k` highest scores. Ties at the boundary count
 * as in the top k (as `tf.math.in_top_k`): an example is correct when fewer than `k` classes
 * score strictly higher than its label.
 * - `preds`: scores `[B, C]`; `labels`: int32 ids `[B]` (in `[0, C)` or `ignoreIndex`) or
 *   one-hot `[B, C]`.
 * @returns a float32 scalar in [0, 1].
 * @throws LabelError for a class id out of range; ShapeError for predictions without a class
 *   axis; KaunError for `k < 1`.
 */
export function topKAccuracy(preds: Tensor, labels: Tensor, options: TopKAccuracyOptions = {}): Tensor {
  const fn = 'Metric.topKAccuracy';
  nx.checkOptions(fn, options, TOP_K_KEYS);
  const k = options.k ?? 5;
  const ignore = options.ignoreIndex;
  if (!Number.isInteger(k) || k < 1) throw new KaunError(`${fn}: k must be a positive integer, got ${String(k)}`);
  checkIgnoreIndex(fn, ignore);
  if (preds.rank < 1) throw new nx.ShapeError(`${fn}: predictions must be scores [..., C], got a scalar`);
  return nx.scope(() => {
    const c = preds.shape[preds.rank - 1]!;
    const l = labelIds(fn, preds, labels);
    if (l.rank !== preds.rank - 1) throw new nx.ShapeError(`${fn}: predictions must be scores [..., C] for labels of shape [${labels.shape.join(', ')}]`);
    const kept = checkedIds(fn, preds, labels, l, ignore);
    const scores = nx.cast(preds, 'float32');
    const onehot = nx.cast(nx.equal(nx.expandDims(l, -1), nx.arange(0, c, 1, 'int32')), 'float32');
    const labelScore = nx.sum(nx.mul(scores, onehot), { axis: -1, keepDims: true });
    const higher = nx.sum(nx.cast(nx.greater(scores, labelScore), 'float32'), { axis: -1 });
    const hits = nx.cast(nx.less(higher, k), 'float32');
    if (ignore === undefined) return nx.mean(hits);
    return nx.div(nx.sum(nx.mul(hits, keptMask(l, ignore))), kept);
  });
}
