/** Focal, KL, cosine embedding and label-smoothed losses against PyTorch's numbers. */
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Loss, KaunError } from '@raven/kaun';
import { tensor, torchRef } from '../_fixtures/torch.js';
import { expectClose } from '../layer/_helpers.js';

const num = (t: nx.Tensor) => Number(nx.item(t));
const arr = (t: nx.Tensor) => Array.from(nx.toTypedArray(t) as Float32Array);

describe('Loss.sigmoidFocalLoss', () => {
  it("matches torchvision's sigmoid_focal_loss", () => {
    const f = torchRef.focal;
    const [x, z] = [tensor(f.logits), tensor(f.targets)];
    expectClose(arr(Loss.sigmoidFocalLoss(x, z, { reduction: 'none' })), f.none.data, 1e-5);
    const mean = f.none.data.reduce((a: number, b: number) => a + b, 0) / f.none.data.length;
    expect(num(Loss.sigmoidFocalLoss(x, z))).toBeCloseTo(mean, 6);
    expectClose(arr(Loss.sigmoidFocalLoss(x, z, { alpha: -1, gamma: 1, reduction: 'none' })), f.alphaNeg_gamma1.data, 1e-5);
  });

  it('with gamma 0 and no alpha is binary cross-entropy', () => {
    const x = nx.fromArray([2, -1, 0.5, 8]);
    const z = nx.fromArray([1, 0, 0, 1]);
    expectClose(arr(Loss.sigmoidFocalLoss(x, z, { alpha: -1, gamma: 0, reduction: 'none' })), arr(Loss.sigmoidBinaryCrossEntropy(x, z, { reduction: 'none' })), 1e-6);
    expect(() => Loss.sigmoidFocalLoss(x, z, { gamma: -1 })).toThrow(KaunError);
    expect(() => Loss.sigmoidFocalLoss(x, z, { gama: 2 } as never)).toThrow(/did you mean "gamma"/);
  });
});

describe('Loss.klDivergence', () => {
  it("matches PyTorch's kl_div for every reduction, zeros in the target included", () => {
    const k = torchRef.kl;
    const [inp, tgt] = [tensor(k.input), tensor(k.target)];
    expect(num(Loss.klDivergence(inp, tgt))).toBeCloseTo(k.batchmean, 6);
    expect(num(Loss.klDivergence(inp, tgt, { reduction: 'sum' }))).toBeCloseTo(k.sum, 5);
    expect(num(Loss.klDivergence(inp, tgt, { reduction: 'mean' }))).toBeCloseTo(k.mean, 6);
    const none = arr(Loss.klDivergence(inp, tgt, { reduction: 'none' }));
    expectClose(none, k.none.data, 1e-5);
    expect(none.every(Number.isFinite)).toBe(true);
    expect(num(Loss.klDivergence(inp, tensor(k.logTarget), { logTarget: true }))).toBeCloseTo(k.logTargetBatchmean, 5);
  });

  it('is 0 for equal distributions and its gradient is finite at zero targets', () => {
    const p = nx.fromArray([[0.5, 0.5, 0], [0.2, 0.3, 0.5]]);
    const logq = nx.log(nx.fromArray([[0.5, 0.5, 1e-9], [0.2, 0.3, 0.5]]));
    expect(Math.abs(num(Loss.klDivergence(logq, p)))).toBeLessThan(1e-6);
    const [g] = nx.grad((x) => Loss.klDivergence(x, p))(logq);
    expect(arr(g!).every(Number.isFinite)).toBe(true);
  });
});

describe('Loss.cosineEmbedding', () => {
  it("matches PyTorch's cosine_embedding_loss", () => {
    const c = torchRef.cosineEmbedding;
    const y = nx.fromArray(c.y, { dtype: 'int32' });
    expectClose(arr(Loss.cosineEmbedding(tensor(c.x1), tensor(c.x2), y, { margin: c.margin, reduction: 'none' })), c.none.data, 1e-5);
    expect(num(Loss.cosineEmbedding(tensor(c.x1), tensor(c.x2), y, { margin: c.margin }))).toBeCloseTo(c.mean, 6);
  });
  it('hand values: parallel pairs cost 0 when similar, 1 - margin when dissimilar', () => {
    const a = nx.fromArray([[1, 0], [2, 2]]);
    const b = nx.fromArray([[3, 0], [1, 1]]);
    expectClose(arr(Loss.cosineEmbedding(a, b, nx.fromArray([1, -1]), { margin: 0.25, reduction: 'none' })), [0, 0.75], 1e-6);
  });
});

describe('label smoothing', () => {
  it("softmaxCrossEntropy matches PyTorch's cross_entropy(label_smoothing) for class ids and probabilities", () => {
    const c = torchRef.crossEntropy;
    const logits = tensor(c.logits);
    const labels = nx.fromArray(c.labels, { dtype: 'int32' });
    expect(num(Loss.softmaxCrossEntropy(logits, labels, { labelSmoothing: 0.1 }))).toBeCloseTo(c['sparse_ls0.1'], 5);
    expect(num(Loss.softmaxCrossEntropy(logits, tensor(c.probs), { labelSmoothing: 0.2 }))).toBeCloseTo(c['probs_ls0.2'], 5);
    expectClose(arr(Loss.softmaxCrossEntropy(logits, labels, { labelSmoothing: 0.3, reduction: 'none' })), c['sparse_ls0.3_none'].data, 1e-5);
  });
  it("sigmoidBinaryCrossEntropy follows Keras' rule z (1 - eps) + eps / 2", () => {
    const x = nx.fromArray([1.5, -0.5]);
    const z = nx.fromArray([1, 0]);
    // hand: targets 0.95 and 0.05; softplus(x) - x z
    const sp = (v: number) => Math.log1p(Math.exp(v));
    const expected = [sp(1.5) - 1.5 * 0.95, sp(-0.5) + 0.5 * 0.05];
    expectClose(arr(Loss.sigmoidBinaryCrossEntropy(x, z, { labelSmoothing: 0.1, reduction: 'none' })), expected, 1e-6);
  });
});
