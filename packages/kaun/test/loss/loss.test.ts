import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Loss } from '@raven/kaun';

const vals = (t: nx.Tensor) => Array.from(t.dataSync());
const logSumExp = (xs: number[]) => { const m = Math.max(...xs); return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0)); };

const LOGITS = [[2, 1, 0.1], [0.5, 2.5, -1], [-1, 0, 3]];
const LABELS = [0, 1, 2];
// -log softmax(logits)[label], computed in float64
const CE = LOGITS.map((row, i) => logSumExp(row) - row[LABELS[i]!]!);

describe('softmaxCrossEntropy', () => {
  it('sparse int labels and one-hot labels give -log softmax[label]; mean, sum and none', () => {
    const logits = nx.fromArray(LOGITS);
    const sparse = nx.fromArray(LABELS, { dtype: 'int32' });
    const onehot = nx.fromArray(LABELS.map((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0))));
    for (const labels of [sparse, onehot]) {
      const none = vals(Loss.softmaxCrossEntropy(logits, labels, { reduction: 'none' }));
      none.forEach((v, i) => expect(v).toBeCloseTo(CE[i]!, 5));
      expect(vals(Loss.softmaxCrossEntropy(logits, labels))[0]).toBeCloseTo(CE.reduce((a, b) => a + b) / 3, 5);
      expect(vals(Loss.softmaxCrossEntropy(logits, labels, { reduction: 'sum' }))[0]).toBeCloseTo(CE.reduce((a, b) => a + b), 5);
    }
  });

  it('soft targets: -sum(p * log softmax)', () => {
    const p = [0.2, 0.5, 0.3];
    const row = LOGITS[0]!;
    const expected = -p.reduce((s, pi, c) => s + pi * (row[c]! - logSumExp(row)), 0);
    expect(vals(Loss.softmaxCrossEntropy(nx.fromArray([row]), nx.fromArray([p])))[0]).toBeCloseTo(expected, 5);
  });

  it('label smoothing mixes eps / C into the target (PyTorch label_smoothing)', () => {
    const eps = 0.1;
    const expected = LOGITS.map((row, i) => {
      const lse = logSumExp(row);
      return -row.reduce((s, x, c) => s + ((c === LABELS[i] ? 1 - eps : 0) + eps / 3) * (x - lse), 0);
    });
    const got = vals(Loss.softmaxCrossEntropy(nx.fromArray(LOGITS), nx.fromArray(LABELS, { dtype: 'int32' }), { labelSmoothing: eps, reduction: 'none' }));
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('is stable for logits of 1e4', () => {
    const logits = nx.fromArray([[1e4, 0, -1e4], [0, 1e4, 1e4]]);
    const l = vals(Loss.softmaxCrossEntropy(logits, nx.fromArray([0, 0], { dtype: 'int32' }), { reduction: 'none' }));
    expect(l[0]).toBeCloseTo(0, 5);
    expect(l[1]).toBeCloseTo(1e4 + Math.log(2), 0);
    const g = nx.grad((x) => Loss.softmaxCrossEntropy(x, nx.fromArray([0, 0], { dtype: 'int32' })))(logits)[0]!;
    expect(vals(g).every(Number.isFinite)).toBe(true);
  });

  it('gradient = (softmax - onehot) / B, and checkGrad agrees', () => {
    const logits = nx.fromArray(LOGITS);
    const labels = nx.fromArray(LABELS, { dtype: 'int32' });
    const g = vals(nx.grad((x) => Loss.softmaxCrossEntropy(x, labels))(logits)[0]!);
    LOGITS.forEach((row, i) => row.forEach((x, c) => {
      const sm = Math.exp(x - logSumExp(row));
      expect(g[i * 3 + c]).toBeCloseTo((sm - (c === LABELS[i] ? 1 : 0)) / 3, 5);
    }));
    expect(nx.checkGrad((x) => Loss.softmaxCrossEntropy(x, labels, { labelSmoothing: 0.2 }), [logits]).ok).toBe(true);
  });

  it('rejects mismatched shapes and float sparse labels', () => {
    const logits = nx.zeros([2, 3]);
    expect(() => Loss.softmaxCrossEntropy(logits, nx.zeros([2, 4]))).toThrow(nx.ShapeError);
    expect(() => Loss.softmaxCrossEntropy(logits, nx.zeros([2]))).toThrow(/int32/);
    expect(() => Loss.softmaxCrossEntropy(logits, nx.zeros([2], 'int32'), { labelSmoothing: 1 })).toThrow(/labelSmoothing/);
  });
});

describe('sigmoidBinaryCrossEntropy', () => {
  const xs = [-3, -0.5, 0, 0.7, 4];
  const zs = [0, 1, 1, 0, 1];
  const ref = xs.map((x, i) => { const s = 1 / (1 + Math.exp(-x)); return -(zs[i]! * Math.log(s) + (1 - zs[i]!) * Math.log(1 - s)); });

  it('equals -(z log s + (1 - z) log(1 - s))', () => {
    const l = vals(Loss.sigmoidBinaryCrossEntropy(nx.fromArray(xs), nx.fromArray(zs), { reduction: 'none' }));
    l.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 5));
    expect(vals(Loss.sigmoidBinaryCrossEntropy(nx.fromArray(xs), nx.fromArray(zs)))[0]).toBeCloseTo(ref.reduce((a, b) => a + b) / 5, 5);
  });

  it('is stable at +-1e4 and its gradient is sigmoid(x) - z (also at x = 0)', () => {
    const l = vals(Loss.sigmoidBinaryCrossEntropy(nx.fromArray([1e4, -1e4, 1e4]), nx.fromArray([1, 0, 0]), { reduction: 'none' }));
    expect(l[0]).toBeCloseTo(0, 5);
    expect(l[1]).toBeCloseTo(0, 5);
    expect(l[2]).toBeCloseTo(1e4, 0);
    const g = vals(nx.grad((x) => Loss.sigmoidBinaryCrossEntropy(x, nx.fromArray(zs), { reduction: 'sum' }))(nx.fromArray(xs))[0]!);
    g.forEach((v, i) => expect(v).toBeCloseTo(1 / (1 + Math.exp(-xs[i]!)) - zs[i]!, 5));
  });
});

describe('regression losses', () => {
  const p = [1, -2, 0.5, 3];
  const t = [0, 0, 0.25, -1];
  it('mse, mae', () => {
    expect(vals(Loss.mse(nx.fromArray(p), nx.fromArray(t)))[0]).toBeCloseTo((1 + 4 + 0.0625 + 16) / 4, 6);
    expect(vals(Loss.mae(nx.fromArray(p), nx.fromArray(t), { reduction: 'sum' }))[0]).toBeCloseTo(1 + 2 + 0.25 + 4, 6);
    expect(vals(Loss.mse(nx.fromArray(p), nx.fromArray(t), { reduction: 'none' }))).toEqual([1, 4, 0.0625, 16]);
  });

  it('huber: quadratic inside delta, linear outside; gradient checked', () => {
    const delta = 1.5;
    const ref = p.map((x, i) => { const a = Math.abs(x - t[i]!); return a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta); });
    const got = vals(Loss.huber(nx.fromArray(p), nx.fromArray(t), { delta, reduction: 'none' }));
    got.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 6));
    expect(nx.checkGrad((x) => Loss.huber(x, nx.fromArray(t), { delta }), [nx.fromArray(p)]).ok).toBe(true);
    expect(() => Loss.huber(nx.zeros([1]), nx.zeros([1]), { delta: 0 })).toThrow(/delta/);
    expect(() => Loss.mse(nx.zeros([2]), nx.zeros([3]))).toThrow(nx.ShapeError);
  });
});
