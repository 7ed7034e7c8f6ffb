/**
 * Metrics. Per-batch functions return scalar tensors that stay on the device:
 * {@link accuracy}, {@link binaryAccuracy}, {@link topKAccuracy}, {@link precision},
 * {@link recall}, {@link f1}, {@link confusionMatrix}. Running accumulators for whole epochs:
 * {@link mean} (host numbers), {@link batchMean} (a per-batch function, weighted by batch size),
 * {@link confusion} (exact precision/recall/F1 over all batches).
 *
 * @example
 * ```ts
 * const trainer = Train.make({ model, optimizer, loss: Loss.softmaxCrossEntropy,
 *   metrics: { accuracy: Metric.accuracy, f1: Metric.confusion({ metric: 'f1', numClasses: 10 }) } });
 * ```
 * @module
 */
export { accuracy, binaryAccuracy, topKAccuracy, type AccuracyOptions, type BinaryAccuracyOptions, type TopKAccuracyOptions } from './classification.js';
export { confusionMatrix, precision, recall, f1, type Average, type AverageOptions, type ConfusionMatrixOptions, type ScoreKind } from './confusion.js';
export {
  mean, batchMean, confusion, isAccumulator,
  type MetricFn, type Accumulator, type MeanTracker, type ConfusionOptions, type ConfusionAccumulator,
} from './tracker.js';
