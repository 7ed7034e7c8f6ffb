import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { LabelError, Metric } from '@raven/kaun';

const item = (t: nx.Tensor) => t.dataSync()[0]!;
const ids = (a: number[]) => nx.fromArray(a, { dtype: 'int32' });

describe('accuracy family', () => {
  it('accuracy from scores or ids, against sparse or one-hot labels', () => {
    const scores = nx.fromArray([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]); // argmax 1 0 1 0
    const labels = ids([1, 1, 1, 0]);
    expect(item(Metric.accuracy(scores, labels))).toBeCloseTo(0.75, 6);
    expect(item(Metric.accuracy(scores, nx.fromArray([[0, 1], [0, 1], [0, 1], [1, 0]])))).toBeCloseTo(0.75, 6);
    expect(item(Metric.accuracy(ids([1, 0, 0, 0]), labels))).toBeCloseTo(0.5, 6);
    expect(() => Metric.accuracy(nx.zeros([4, 2]), ids([1, 2]))).toThrow(nx.ShapeError);
  });

  it('binaryAccuracy with a threshold', () => {
    const p = nx.fromArray([0.2, 0.6, 0.45, 0.9]);
    const t = nx.fromArray([0, 1, 1, 0]);
    expect(item(Metric.binaryAccuracy(p, t))).toBeCloseTo(0.5, 6);
    // threshold 0.5: [0, 1, 0, 1] vs [0, 1, 1, 0]; threshold 0.4: [0, 1, 1, 1] vs [0, 1, 1, 0]
    expect(item(Metric.binaryAccuracy(p, t, { threshold: 0.4 }))).toBeCloseTo(0.75, 6);
  });

  it('topKAccuracy counts ties at the boundary as in', () => {
    const p = nx.fromArray([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1]]);
    expect(item(Metric.topKAccuracy(p, ids([2, 0, 2]), { k: 2 }))).toBeCloseTo(2 / 3, 6);
    expect(item(Metric.topKAccuracy(p, ids([2, 0, 2]), { k: 1 }))).toBeCloseTo(0, 6);
    expect(item(Metric.topKAccuracy(p, ids([2, 0, 2]), { k: 3 }))).toBeCloseTo(1, 6);
  });
});

describe('confusion matrix, precision, recall, f1 (scikit-learn documentation example)', () => {
  // y_true = [0, 1, 2, 0, 1, 2], y_pred = [0, 2, 1, 0, 0, 1]
  const yTrue = () => ids([0, 1, 2, 0, 1, 2]);
  const yPred = () => ids([0, 2, 1, 0, 0, 1]);
  const opts = { numClasses: 3 };

  it('confusionMatrix: rows true, columns predicted', () => {
    const cm = Array.from(Metric.confusionMatrix(yPred(), yTrue(), opts).dataSync());
    expect(cm).toEqual([2, 0, 0, 1, 0, 1, 0, 2, 0]);
  });

  it('macro, micro, weighted averages', () => {
    // per class: precision [2/3, 0, 0], recall [1, 0, 0], f1 [0.8, 0, 0]; supports [2, 2, 2]
    expect(item(Metric.precision(yPred(), yTrue(), opts))).toBeCloseTo(2 / 9, 6);
    expect(item(Metric.recall(yPred(), yTrue(), opts))).toBeCloseTo(1 / 3, 6);
    expect(item(Metric.f1(yPred(), yTrue(), opts))).toBeCloseTo(0.8 / 3, 6);
    for (const f of [Metric.precision, Metric.recall, Metric.f1]) expect(item(f(yPred(), yTrue(), { ...opts, average: 'micro' }))).toBeCloseTo(1 / 3, 6);
    expect(item(Metric.precision(yPred(), yTrue(), { ...opts, average: 'weighted' }))).toBeCloseTo(2 / 9, 6);
  });

  it('weighted by uneven support, and macro over the classes present only', () => {
    // y_true [0,0,0,1], y_pred [0,0,1,1], numClasses 4 (classes 2 and 3 absent)
    const t = ids([0, 0, 0, 1]);
    const p = ids([0, 0, 1, 1]);
    // precision [1, 0.5], recall [2/3, 1], supports [3, 1]
    expect(item(Metric.recall(p, t, { numClasses: 4, average: 'weighted' }))).toBeCloseTo((3 * 2 / 3 + 1) / 4, 6);
    expect(item(Metric.precision(p, t, { numClasses: 4, average: 'macro' }))).toBeCloseTo(0.75, 6);
  });

  it('binary average from probabilities with a threshold', () => {
    const probs = nx.fromArray([0.2, 0.8, 0.4, 0.6, 0.9]); // -> [0, 1, 0, 1, 1]
    const truth = ids([0, 1, 1, 1, 1]); // tp 3, fp 0, fn 1
    const o = { average: 'binary' as const };
    expect(item(Metric.precision(probs, truth, o))).toBeCloseTo(1, 6);
    expect(item(Metric.recall(probs, truth, o))).toBeCloseTo(0.75, 6);
    expect(item(Metric.f1(probs, truth, o))).toBeCloseTo(6 / 7, 6);
    expect(item(Metric.recall(probs, truth, { ...o, posLabel: 0 }))).toBeCloseTo(1, 6);
  });
});

describe('label range and ignoreIndex', () => {
  const scores = nx.fromArray([[0.1, 0.9, 0], [0.8, 0.2, 0], [0.3, 0.7, 0], [0.6, 0.4, 0]]); // argmax 1 0 1 0

  it('labels outside [0, C) are a LabelError in every classification metric', () => {
    const bad = ids([1, 0, 5, 0]);
    for (const f of [
      () => Metric.accuracy(scores, bad),
      () => Metric.topKAccuracy(scores, bad, { k: 1 }),
      () => Metric.confusionMatrix(scores, bad),
      () => Metric.precision(scores, bad),
      () => Metric.recall(scores, bad),
      () => Metric.f1(scores, bad),
      () => Metric.confusion({ metric: 'f1', numClasses: 3 }).update(scores, bad),
    ]) {
      expect(f).toThrow(LabelError);
      expect(f).toThrow(/label 5 at index 2 is out of range: class ids must be in \[0, 2\] for 3 classes/);
    }
    // id predictions: only negative labels can be caught without a class count, and with one both
    expect(() => Metric.accuracy(ids([1, 0, 1, 0]), ids([1, -1, 0, 0]))).toThrow(/label -1 at index 1 .*non-negative/);
    expect(() => Metric.confusionMatrix(ids([1, 0, 4, 0]), ids([1, 0, 1, 0]), { numClasses: 3 })).toThrow(/predicted ids.*label 4 at index 2/);
  });

  it('ignoreIndex leaves positions out of accuracy, top-k and the confusion matrix', () => {
    const labels = ids([1, -100, 0, 0]); // position 1 ignored; hits at 0 and 3, miss at 2
    expect(item(Metric.accuracy(scores, labels, { ignoreIndex: -100 }))).toBeCloseTo(2 / 3, 6);
    expect(item(Metric.topKAccuracy(scores, labels, { k: 1, ignoreIndex: -100 }))).toBeCloseTo(2 / 3, 6);
    expect(item(Metric.topKAccuracy(scores, labels, { k: 2, ignoreIndex: -100 }))).toBeCloseTo(1, 6);
    const cm = Metric.confusionMatrix(scores, labels, { ignoreIndex: -100 });
    expect(nx.toArray(cm)).toEqual([[1, 1, 0], [0, 1, 0], [0, 0, 0]]);
    const acc = Metric.confusion({ metric: 'accuracy', numClasses: 3, ignoreIndex: -100 });
    acc.update(scores, labels);
    expect(acc.compute()).toBeCloseTo(2 / 3, 6);
    acc.reset();
    expect(item(Metric.accuracy(scores, ids([-100, -100, -100, -100]), { ignoreIndex: -100 }))).toBeNaN();
    expect(() => Metric.accuracy(scores, labels, { ignore: -100 } as never)).toThrow(nx.OptionError);
  });
});

describe('accumulators', () => {
  it('mean weights values on the host', () => {
    const m = Metric.mean();
    expect(Number.isNaN(m.compute())).toBe(true);
    m.update(0.5, 128);
    m.update(nx.scalar(0.2), 64);
    expect(m.compute()).toBeCloseTo((0.5 * 128 + 0.2 * 64) / 192, 6);
    expect(m.count).toBe(192);
    m.reset();
    expect(m.count).toBe(0);
  });

  it('batchMean weights batches by size, keeps one tensor, and reset frees it', () => {
    const acc = Metric.batchMean(Metric.accuracy);
    const before = nx.memory().numTensors;
    nx.scope(() => acc.update(ids([1, 1, 0]), ids([1, 1, 1]))); // 2/3 of 3
    nx.scope(() => acc.update(ids([0]), ids([0]))); // 1 of 1
    expect(nx.memory().numTensors).toBe(before + 1);
    expect(acc.compute()).toBeCloseTo(3 / 4, 6);
    acc.reset();
    expect(nx.memory().numTensors).toBe(before);
  });

  it('confusion accumulates exactly over batches (not a mean of batch scores)', () => {
    const acc = Metric.confusion({ metric: 'f1', numClasses: 3 });
    acc.update(ids([0, 2, 1]), ids([0, 1, 2]));
    acc.update(ids([0, 0, 1]), ids([0, 1, 2]));
    expect(acc.compute()).toBeCloseTo(0.8 / 3, 6);
    expect(acc.matrix()).toEqual([[2, 0, 0], [1, 0, 1], [0, 2, 0]]);
    acc.reset();
    expect(Number.isNaN(acc.compute())).toBe(true);
  });
});
