/**
 * Running metrics: accumulators updated batch by batch and read once at the end (`fit` and
 * `evaluate` use them). Device-side accumulators keep their sums on the device so updating
 * never waits for it; only `compute()` reads.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { confusionMatrixAs, scoreFromMatrix, type Average, type ScoreKind } from './confusion.js';

/** A per-batch metric: `(predictions, targets) -> scalar tensor` (e.g. `Metric.accuracy`). */
export type MetricFn = (preds: Tensor, targets: Tensor) => Tensor;

/**
 * A stateful metric accumulated over batches: `update` with each batch's predictions and
 * targets, `compute` the value over everything seen since the last `reset`. `reset` also frees
 * the accumulator's tensors.
 */
export interface Accumulator {
  /** Adds a batch (predictions and targets as given to the loss). Does not read the device. */
  update(preds: Tensor, targets: Tensor): void;
  /** The metric over all batches since the last reset (NaN when none); reads the device once. */
  compute(): number;
  /** Forgets every batch and frees the accumulator's tensors. */
  reset(): void;
  /**
   * The accumulated state as JSON (reads the device), so a checkpoint taken mid-epoch resumes
   * the metric exactly; optional (the built-in accumulators have it).
   */
  snapshot?(): unknown;
  /** Puts back a {@link Accumulator.snapshot} (after a reset). */
  restore?(snapshot: unknown): void;
}

function readScalar(t: Tensor): number {
  return Number(nx.item(t));
}

/** Replaces `old` by `next`, keeping `next` past enclosing scopes. */
function swap(old: Tensor | undefined, next: Tensor): Tensor {
  nx.keep(next);
  if (old !== undefined) nx.dispose(old);
  return next;
}

/** A running weighted mean of numbers, kept on the host (see {@link mean}). */
export interface MeanTracker {
  /** Adds a value with a weight (default 1); a tensor value is read from the device (a scalar). */
  update(value: number | Tensor, weight?: number): void;
  /** The weighted mean so far; NaN before any update. */
  compute(): number;
  /** Forgets every value. */
  reset(): void;
  /** The total weight so far. */
  readonly count: number;
}

/**
 * A running weighted mean kept on the host, e.g. of losses read at the end of each epoch.
 * @example
 * ```ts
 * const m = Metric.mean();
 * m.update(0.5, 128); m.update(0.3, 64);
 * m.compute(); // (0.5 * 128 + 0.3 * 64) / 192
 * ```
 */
export function mean(): MeanTracker {
  let sum = 0;
  let count = 0;
  return {
    update(value, weight = 1) {
      const v = typeof value === 'number' ? value : readScalar(value);
      sum += v * weight;
      count += weight;
    },
    compute: () => (count === 0 ? Number.NaN : sum / count),
    reset() { sum = 0; count = 0; },
    get count() { return count; },
  };
}

/**
 * An accumulator of a per-batch metric, averaged over batches weighted by their size (the first
 * axis of the targets), so a short last batch counts for what it holds. The weighted sum stays on
 * the device. Right for metrics that are means over examples (accuracy, losses); for precision,
 * recall and F1 use {@link confusion}, which is exact over the whole data.
 * @throws KaunError when `fn` is not a function.
 * @example `const acc = Metric.batchMean(Metric.accuracy); acc.update(logits, labels); acc.compute();`
 */
export function batchMean(fn: MetricFn): Accumulator {
  if (typeof fn !== 'function') throw new KaunError(`Metric.batchMean: expected a metric function (preds, targets) => Tensor, got ${typeof fn}`);
  let sum: Tensor | undefined;
  let count = 0;
  return {
    update(preds, targets) {
      const n = targets.rank === 0 ? 1 : targets.shape[0]!;
      sum = swap(sum, nx.scope(() => {
        const v = nx.mul(nx.cast(fn(preds, targets), 'float32'), n);
        return sum === undefined ? v : nx.add(sum, v);
      }));
      count += n;
    },
    compute: () => (sum === undefined || count === 0 ? Number.NaN : readScalar(sum) / count),
    reset() { if (sum !== undefined) nx.dispose(sum); sum = undefined; count = 0; },
    snapshot: () => ({ sum: sum === undefined ? null : readScalar(sum), count }),
    restore(snap) {
      const s = snap as { sum: number | null; count: number };
      this.reset();
      if (s.sum !== null) sum = swap(undefined, nx.scalar(s.sum));
      count = s.count;
    },
  };
}

/** Options of {@link confusion}. */
export interface ConfusionOptions {
  /** What `compute` returns: `'precision'`, `'recall'`, `'f1'` or `'accuracy'`. */
  metric: ScoreKind;
  /** Number of classes. */
  numClasses: number;
  /** How per-class scores are combined; default `'macro'` (see `Metric.AverageOptions`). */
  average?: Average;
  /** Positive class for `'binary'`; default 1. */
  posLabel?: number;
  /** Threshold for float binary predictions without a class axis; default 0.5. */
  threshold?: number;
  /** A label value whose positions are not counted (padding); default none. */
  ignoreIndex?: number;
}

const CONFUSION_KEYS: nx.OptionKeys<ConfusionOptions> = { metric: true, numClasses: true, average: true, posLabel: true, threshold: true, ignoreIndex: true };

/** A confusion-matrix accumulator (see {@link confusion}). */
export interface ConfusionAccumulator extends Accumulator {
  /** The accumulated confusion matrix (rows true, columns predicted), read from the device. */
  matrix(): number[][];
}

/**
 * An accumulator that sums confusion matrices on the device and derives precision, recall, F1
 * or accuracy from the total, so the result is exact over the whole data (not a mean of
 * per-batch scores).
 * @throws KaunError for an unknown `metric` or a bad `numClasses`.
 * @example `metrics: { f1: Metric.confusion({ metric: 'f1', numClasses: 10, average: 'macro' }) }`
 */
export function confusion(options: ConfusionOptions): ConfusionAccumulator {
  const fn = 'Metric.confusion';
  nx.checkOptions(fn, options, CONFUSION_KEYS);
  const { metric, numClasses } = options;
  if (!['precision', 'recall', 'f1', 'accuracy'].includes(metric)) throw new KaunError(`${fn}: metric must be 'precision', 'recall', 'f1' or 'accuracy', got ${String(metric)}`);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new KaunError(`${fn}: numClasses must be a positive integer, got ${String(numClasses)}`);
  const average = options.average ?? 'macro';
  const posLabel = options.posLabel ?? 1;
  const cmOptions = { numClasses, threshold: options.threshold ?? 0.5, ignoreIndex: options.ignoreIndex };
  let total: Tensor | undefined;
  return {
    update(preds, targets) {
      total = swap(total, nx.scope(() => {
        const cm = confusionMatrixAs(fn, preds, targets, cmOptions);
        return total === undefined ? cm : nx.add(total, cm);
      }));
    },
    compute() {
      if (total === undefined) return Number.NaN;
      const t = total;
      const score = nx.scope(() => scoreFromMatrix(fn, t, metric, average, posLabel));
      try {
        return readScalar(score);
      } finally {
        nx.dispose(score);
      }
    },
    matrix() {
      const data = total === undefined ? new Float32Array(numClasses * numClasses) : nx.toTypedArray(total);
      return Array.from({ length: numClasses }, (_, i) => Array.from(data.slice(i * numClasses, (i + 1) * numClasses), Number));
    },
    reset() { if (total !== undefined) nx.dispose(total); total = undefined; },
    snapshot: () => (total === undefined ? null : { dtype: total.dtype, data: Array.from(nx.toTypedArray(total), Number) }),
    restore(snap) {
      this.reset();
      const s = snap as { dtype: nx.DType; data: number[] } | null;
      if (s !== null) total = swap(undefined, nx.fromArray(s.data, { shape: [numClasses, numClasses], dtype: s.dtype }));
    },
  };
}

/** Whether `m` is an {@link Accumulator} (an object with update, compute and reset). */
export function isAccumulator(m: unknown): m is Accumulator {
  return typeof m === 'object' && m !== null && typeof (m as Accumulator).update === 'function' && typeof (m as Accumulator).compute === 'function' && typeof (m as Accumulator).reset === 'function';
}
