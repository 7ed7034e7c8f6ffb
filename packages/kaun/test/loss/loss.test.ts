import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { LabelError, Loss } from '@raven/kaun';

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

describe('softmaxCrossEntropy: label range and ignoreIndex', () => {
  // Rows 0, 2, 3 count; row 1 is padding. Expected values computed in float64 from the formula;
  // PyTorch 2.13's F.cross_entropy(ignore_index=-100) gives 0.528285562992096 (mean),
  // 1.584856629371643 (sum) and 0.6382855176925659 with label_smoothing=0.1 for the same input.
  const logits = [[2, 1, 0.1], [0.5, 2.5, -1], [-1, 0, 3], [0.3, 0.2, 0.1]];
  const labels = [0, -100, 2, 1];
  const ce = (row: number[], l: number, eps = 0) => { const lse = logSumExp(row); return -row.reduce((s, x, c) => s + ((c === l ? 1 - eps : 0) + eps / 3) * (x - lse), 0); };
  const kept = [0, 2, 3];

  it('out-of-range and negative labels are a LabelError naming the label and the class count', () => {
    for (const bad of [5, 7, -1, 3]) {
      const err = (() => { try { Loss.softmaxCrossEntropy(nx.fromArray(LOGITS), nx.fromArray([0, bad, 1], { dtype: 'int32' })); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(LabelError);
      expect((err as LabelError).message).toMatch(new RegExp(`label ${bad} at index 1 is out of range: class ids must be in \\[0, 2\\] for 3 classes`));
      expect((err as LabelError).label).toBe(bad);
      expect((err as LabelError).numClasses).toBe(3);
    }
    // a [B, T] target names the flat position
    expect(() => Loss.softmaxCrossEntropy(nx.zeros([2, 2, 3]), nx.fromArray([[0, 1], [2, 9]], { dtype: 'int32' }))).toThrow(/label 9 at flat index 3 of labels \[2, 2\]/);
  });

  it('ignoreIndex skips positions: none, sum, mean over the kept ones (PyTorch ignore_index)', () => {
    const x = nx.fromArray(logits);
    const y = nx.fromArray(labels, { dtype: 'int32' });
    const none = vals(Loss.softmaxCrossEntropy(x, y, { ignoreIndex: -100, reduction: 'none' }));
    none.forEach((v, i) => expect(v).toBeCloseTo(kept.includes(i) ? ce(logits[i]!, labels[i]!) : 0, 5));
    const sum = kept.reduce((s, i) => s + ce(logits[i]!, labels[i]!), 0);
    expect(vals(Loss.softmaxCrossEntropy(x, y, { ignoreIndex: -100, reduction: 'sum' }))[0]).toBeCloseTo(sum, 5);
    expect(vals(Loss.softmaxCrossEntropy(x, y, { ignoreIndex: -100 }))[0]).toBeCloseTo(sum / 3, 5);
    const smooth = kept.reduce((s, i) => s + ce(logits[i]!, labels[i]!, 0.1), 0) / 3;
    expect(vals(Loss.softmaxCrossEntropy(x, y, { ignoreIndex: -100, labelSmoothing: 0.1 }))[0]).toBeCloseTo(smooth, 5);
    // the gradient of ignored rows is 0, the others (softmax - onehot) / kept
    const g = vals(nx.grad((z) => Loss.softmaxCrossEntropy(z, y, { ignoreIndex: -100 }))(x)[0]!);
    logits.forEach((row, i) => row.forEach((v, c) => {
      const expected = kept.includes(i) ? (Math.exp(v - logSumExp(row)) - (c === labels[i] ? 1 : 0)) / 3 : 0;
      expect(g[i * 3 + c]).toBeCloseTo(expected, 5);
    }));
    // an ignore index inside [0, C) ignores that class
    expect(vals(Loss.softmaxCrossEntropy(x, nx.fromArray([0, 1, 2, 1], { dtype: 'int32' }), { ignoreIndex: 1, reduction: 'sum' }))[0]).toBeCloseTo(ce(logits[0]!, 0) + ce(logits[2]!, 2), 5);
  });

  it('all positions ignored: mean is NaN (as PyTorch), sum is 0; ignoreIndex with dense labels or non-integer is refused', () => {
    const x = nx.fromArray(logits);
    const y = nx.fromArray([-100, -100, -100, -100], { dtype: 'int32' });
    expect(vals(Loss.softmaxCrossEntropy(x, y, { ignoreIndex: -100 }))[0]).toBeNaN();
    expect(vals(Loss.softmaxCrossEntropy(x, y, { ignoreIndex: -100, reduction: 'sum' }))[0]).toBe(0);
    expect(() => Loss.softmaxCrossEntropy(x, nx.zeros([4, 3]), { ignoreIndex: -100 })).toThrow(/ignoreIndex applies to int32 class ids/);
    expect(() => Loss.softmaxCrossEntropy(x, y, { ignoreIndex: 0.5 })).toThrow(/ignoreIndex must be an integer/);
    // the ignore index does not excuse other bad labels
    expect(() => Loss.softmaxCrossEntropy(x, nx.fromArray([0, -100, 3, 1], { dtype: 'int32' }), { ignoreIndex: -100 })).toThrow(/label 3 at index 2 .*\(ignoreIndex is -100\)/);
    expect(() => Loss.softmaxCrossEntropy(x, y, { ignore_index: -100 } as never)).toThrow(nx.OptionError);
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
