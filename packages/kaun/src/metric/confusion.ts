/**
 * The confusion matrix and the metrics derived from it: precision, recall, F1 (macro, micro,
 * weighted or binary averages).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { checkClassIds, checkIgnoreIndex } from '../loss/class-ids.js';
import { keptMask, labelIds, predIds, sameIds } from './_ids.js';

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Number of classes; default: the predictions' class axis (required for id predictions). */
  numClasses?: number;
  /** For float predictions without a class axis (binary), the positive threshold; default 0.5. */
  threshold?: number;
  /** A label value whose positions are left out of the matrix (padding); default none. */
  ignoreIndex?: number;
}

const CM_KEYS: nx.OptionKeys<ConfusionMatrixOptions> = { numClasses: true, threshold: true, ignoreIndex: true };

function classesOf(fn: string, preds: Tensor, labels: Tensor, n: number | undefined): number {
  if (n !== undefined) {
    if (!Number.isInteger(n) || n < 1) throw new KaunError(`${fn}: numClasses must be a positive integer, got ${String(n)}`);
    return n;
  }
  const labelRank = labels.dtype === 'int32' || labels.dtype === 'bool' ? labels.rank : labels.rank - 1;
  if (preds.rank === labelRank + 1 && preds.rank >= 1) return preds.shape[preds.rank - 1]!;
  if (preds.dtype !== 'int32') return 2;
  throw new KaunError(`${fn}: pass numClasses when predictions are class ids`);
}

/**
 * The confusion matrix `[C, C]` (float32 counts): row = true class, column = predicted class (as
 * scikit-learn).
 * - `preds`: scores `[B, C]` (argmax), int32 ids `[B]`, or float `[B]` binary scores
 *   (`> threshold`); `labels`: int32 ids `[B]` or one-hot `[B, C]`.
 * - Positions whose label is `ignoreIndex` are left out.
 * @throws LabelError for a label or predicted id outside `[0, C)`; ShapeError when the shapes do
 *   not fit; KaunError when `numClasses` is needed or invalid.
 * @example `Metric.confusionMatrix(nx.fromArray([0, 1, 1], {dtype: 'int32'}), nx.fromArray([0, 1, 0], {dtype: 'int32'}), {numClasses: 2})` is `[[1, 1], [0, 1]]`.
 */
export function confusionMatrix(preds: Tensor, labels: Tensor, options: ConfusionMatrixOptions = {}): Tensor {
  return confusionMatrixAs('Metric.confusionMatrix', preds, labels, options);
}

/** {@link confusionMatrix} reporting errors as `fn`. @internal */
export function confusionMatrixAs(fn: string, preds: Tensor, labels: Tensor, options: ConfusionMatrixOptions): Tensor {
  nx.checkOptions(fn, options, CM_KEYS);
  const ignore = options.ignoreIndex;
  checkIgnoreIndex(fn, ignore);
  const c = classesOf(fn, preds, labels, options.numClasses);
  return nx.scope(() => {
    const l = labelIds(fn, preds, labels);
    const p = predIds(fn, preds, l.rank, options.threshold ?? 0.5);
    sameIds(fn, p, l);
    if (labels.dtype === 'int32') checkClassIds(fn, labels, c, ignore);
    if (p === preds) checkClassIds(`${fn} (predicted ids)`, preds, c, undefined);
    const classes = nx.arange(0, c, 1, 'int32');
    const oneHot = (ids: Tensor) => nx.cast(nx.equal(nx.reshape(ids, [-1, 1]), classes), 'float32');
    const rows = ignore === undefined ? oneHot(l) : nx.mul(oneHot(l), nx.reshape(keptMask(l, ignore), [-1, 1]));
    return nx.matmul(nx.transpose(rows), oneHot(p));
  });
}

/** How per-class scores are combined. */
export type Average = 'macro' | 'micro' | 'weighted' | 'binary';

/** Options of {@link precision}, {@link recall} and {@link f1}. */
export interface AverageOptions extends ConfusionMatrixOptions {
  /**
   * `'macro'`: unweighted mean over the classes present in labels or predictions (as
   * scikit-learn's default labels); `'micro'`: from the global counts (equals accuracy for
   * single-label data); `'weighted'`: mean weighted by each class's support; `'binary'`: the
   * score of class `posLabel` only. Default `'macro'`.
   */
  average?: Average;
  /** The positive class for `'binary'`; default 1. */
  posLabel?: number;
}

const AVERAGE_KEYS: nx.OptionKeys<AverageOptions> = { numClasses: true, threshold: true, ignoreIndex: true, average: true, posLabel: true };

/** A score derived from a confusion matrix. */
export type ScoreKind = 'precision' | 'recall' | 'f1' | 'accuracy';

/** Derives a score from a `[C, C]` confusion matrix (float32), on the device. @internal */
export function scoreFromMatrix(fn: string, cm: Tensor, kind: ScoreKind, average: Average, posLabel: number): Tensor {
  const c = cm.shape[0]!;
  if (average === 'binary' && !(Number.isInteger(posLabel) && posLabel >= 0 && posLabel < c)) {
    throw new KaunError(`${fn}: posLabel must be a class id in [0, ${c}), got ${String(posLabel)}`);
  }
  return nx.scope(() => {
    const tp = nx.sum(nx.mul(cm, nx.eye(c)), { axis: 1 });
    const support = nx.sum(cm, { axis: 1 }); // true counts per class
    const predicted = nx.sum(cm, { axis: 0 }); // predicted counts per class
    // counts are whole numbers, so max(den, 1) only changes 0/0 into 0/1 = 0 (scikit-learn's zero_division=0)
    const safeDiv = (a: Tensor, b: Tensor) => nx.div(a, nx.maximum(b, 1));
    if (kind === 'accuracy') return safeDiv(nx.sum(tp), nx.sum(support));
    if (average === 'micro') {
      const totalTp = nx.sum(tp);
      if (kind === 'precision') return safeDiv(totalTp, nx.sum(predicted));
      if (kind === 'recall') return safeDiv(totalTp, nx.sum(support));
      return safeDiv(nx.mul(totalTp, 2), nx.add(nx.sum(predicted), nx.sum(support)));
    }
    const perClass = kind === 'precision' ? safeDiv(tp, predicted) : kind === 'recall' ? safeDiv(tp, support) : safeDiv(nx.mul(tp, 2), nx.add(predicted, support));
    if (average === 'binary') return nx.sum(nx.mul(perClass, nx.cast(nx.equal(nx.arange(0, c, 1, 'int32'), posLabel), 'float32')));
    if (average === 'weighted') return safeDiv(nx.sum(nx.mul(perClass, support)), nx.sum(support));
    if (average !== 'macro') throw new KaunError(`${fn}: average must be 'macro', 'micro', 'weighted' or 'binary', got ${String(average)}`);
    const present = nx.cast(nx.greater(nx.add(support, predicted), 0), 'float32');
    return safeDiv(nx.sum(nx.mul(perClass, present)), nx.sum(present));
  });
}

function scored(kind: ScoreKind, fn: string, preds: Tensor, labels: Tensor, options: AverageOptions): Tensor {
  nx.checkOptions(fn, options, AVERAGE_KEYS);
  const { average, posLabel, ...cm } = options;
  return nx.scope(() => scoreFromMatrix(fn, confusionMatrixAs(fn, preds, labels, cm), kind, average ?? 'macro', posLabel ?? 1));
}

/**
 * Precision `tp / (tp + fp)`, per class then averaged (see {@link AverageOptions}); a class
 * never predicted scores 0. Inputs as {@link confusionMatrix}.
 * @returns a float32 scalar.
 * @example `Metric.precision(logits, labels, { average: 'weighted' })`
 */
export function precision(preds: Tensor, labels: Tensor, options: AverageOptions = {}): Tensor {
  return scored('precision', 'Metric.precision', preds, labels, options);
}

/**
 * Recall `tp / (tp + fn)`, per class then averaged (see {@link AverageOptions}).
 * @returns a float32 scalar.
 */
export function recall(preds: Tensor, labels: Tensor, options: AverageOptions = {}): Tensor {
  return scored('recall', 'Metric.recall', preds, labels, options);
}

/**
 * F1 `2 tp / (2 tp + fp + fn)` (the harmonic mean of precision and recall), per class then
 * averaged (see {@link AverageOptions}).
 * @returns a float32 scalar.
 */
export function f1(preds: Tensor, labels: Tensor, options: AverageOptions = {}): Tensor {
  return scored('f1', 'Metric.f1', preds, labels, options);
}
