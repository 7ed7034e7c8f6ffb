/**
 * Gradient accumulation (multiSteps), per-parameter rules (multiTransform, masked, freeze,
 * matchPaths) and injected hyperparameters.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { Layer, Loss, Optim, OptimError, Ptree, Train } from '@raven/kaun';

const model = () => Layer.sequential([Layer.linear({ inFeatures: 6, outFeatures: 16 }), Layer.tanh(), Layer.linear({ inFeatures: 16, outFeatures: 3 })]);

function batch(seed: number, n: number): { x: nx.Tensor; y: nx.Tensor } {
  const [a, b] = nx.random.split(nx.random.key(seed), 2);
  return { x: nx.random.normal(a!, [n, 6]), y: nx.random.randint(b!, [n], 0, 3) };
}

function slice(t: nx.Tensor, from: number, to: number): nx.Tensor {
  return nx.slice(t, [[from, to]]);
}

const flat = (tree: Ptree.Tree) => Ptree.leaves(tree).flatMap((t) => Array.from(nx.toTypedArray(t) as Float32Array));

function expectTreesClose(a: Ptree.Tree, b: Ptree.Tree, tol: number): void {
  const x = flat(a);
  const y = flat(b);
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / (1e-3 + Math.abs(y[i]!)));
  expect(worst).toBeLessThan(tol);
}

describe('Optim.multiSteps (gradient accumulation)', () => {
  it.each([
    ['adam', () => Optim.adam({ lr: 1e-2 })],
    ['clipping + adamw with a schedule', () => Optim.chain(Optim.clipByGlobalNorm(0.05), Optim.adamw({ lr: Optim.Schedule.warmupLinear({ peak: 1e-2, warmupSteps: 1, totalSteps: 10 }) }))],
  ])('k micro-batches give the update of one batch k times larger (%s)', (_name, make) => {
    const m = model();
    const k = 4;
    const big = Train.make({ model: m, optimizer: make(), loss: Loss.softmaxCrossEntropy });
    const acc = Train.make({ model: m, optimizer: Optim.multiSteps(make(), { every: k }), loss: Loss.softmaxCrossEntropy });
    let sBig = Train.makeState(big, m.init({ key: nx.random.key(0) }));
    let sAcc = Train.makeState(acc, m.init({ key: nx.random.key(0) }));
    for (let u = 0; u < 3; u++) {
      const b = batch(u, 4 * k);
      const r = Train.step(big, sBig, b);
      sBig = r.state;
      nx.dispose(r.loss);
      for (let j = 0; j < k; j++) {
        const before = j < k - 1 ? flat(sAcc.vars.params) : undefined;
        const micro = { x: slice(b.x, 4 * j, 4 * j + 4), y: slice(b.y, 4 * j, 4 * j + 4) };
        const q = Train.step(acc, sAcc, micro);
        sAcc = q.state;
        if (before) expect(flat(sAcc.vars.params)).toEqual(before); // no update until the k-th micro-batch
        nx.dispose([q.loss, micro]);
      }
      nx.dispose(b);
      expectTreesClose(sAcc.vars.params, sBig.vars.params, 1e-4);
    }
    // the inner state advanced once per update: Adam's count is 3, not 12
    const inner = (sAcc.optState as { inner: Ptree.Tree }).inner;
    const count = Ptree.flattenWithPaths(inner).find(([p]) => p.endsWith('count'))![1];
    expect(Number(nx.item(count))).toBe(3);
    Ptree.dispose([sBig.vars.params, sBig.optState, sAcc.vars.params, sAcc.optState]);
  });

  it('keeps the peak memory of one micro-batch (plus one parameter-sized sum)', async () => {
    // wide activations, few parameters: the batch dominates memory
    const m = Layer.sequential([Layer.linear({ inFeatures: 64, outFeatures: 512 }), Layer.relu(), Layer.linear({ inFeatures: 512, outFeatures: 1 })]);
    const measure = async (optimizer: Optim.Optimizer, n: number, steps: number): Promise<number> => {
      const trainer = Train.make({ model: m, optimizer, loss: Loss.mse });
      let s = Train.makeState(trainer, m.init({ key: nx.random.key(0) }));
      let peak = 0;
      for (let i = 0; i < steps; i++) {
        const b = { x: nx.random.normal(nx.random.key(i), [n, 64]), y: nx.zeros([n, 1]) };
        const base = tf.memory().numBytes;
        const info = await tf.profile(() => {
          const r = Train.step(trainer, s, b);
          s = r.state;
          nx.dispose(r.loss);
        });
        peak = Math.max(peak, info.peakBytes - base);
        nx.dispose(b);
      }
      Ptree.dispose([s.vars.params, s.optState]);
      return peak;
    };
    {
      const paramBytes = (64 * 512 + 512 + 512 + 1) * 4;
      const micro = await measure(Optim.multiSteps(Optim.sgd({ lr: 1e-3 }), { every: 8 }), 64, 8);
      const plainMicro = await measure(Optim.sgd({ lr: 1e-3 }), 64, 2);
      const bigBatch = await measure(Optim.sgd({ lr: 1e-3 }), 512, 2);
      expect(micro).toBeLessThan(plainMicro + 3 * paramBytes); // the sum and its update, not the big batch
      expect(micro).toBeLessThan(bigBatch / 3);
    }
  });

  it('refuses a bad count and names the option', () => {
    expect(() => Optim.multiSteps(Optim.sgd(), { every: 0 })).toThrow(OptimError);
    expect(() => Optim.multiSteps(Optim.sgd(), { evry: 2 } as never)).toThrow(/did you mean "every"/);
  });
});

describe('per-parameter rules', () => {
  const params = () => ({
    embeddings: { weight: nx.fromArray([[1, 2], [3, 4]]) },
    encoder: { layer: [{ weight: nx.fromArray([0.5, -0.5]), bias: nx.fromArray([0.1]) }] },
    classifier: { weight: nx.fromArray([2, 1]), bias: nx.fromArray([0]) },
  });
  const grads = () => Ptree.map(params(), (t) => nx.onesLike(t));

  it('freeze: frozen leaves get zero updates and no optimizer state', () => {
    const p = params();
    const opt = Optim.freeze(Optim.adam({ lr: 0.1 }), { frozen: (path) => !path.startsWith('classifier.') });
    const s0 = opt.init(p);
    expect(Ptree.paths(s0)).toEqual(['trainable.0.count', 'trainable.0.mu.classifier.weight', 'trainable.0.mu.classifier.bias', 'trainable.0.nu.classifier.weight', 'trainable.0.nu.classifier.bias']);
    const { updates } = opt.update(grads(), s0, p);
    const next = Optim.applyUpdates(p, updates) as ReturnType<typeof params>;
    expect(nx.toArray(next.embeddings.weight)).toEqual([[1, 2], [3, 4]]);
    expect(nx.toArray(next.encoder.layer[0]!.weight)).toEqual([0.5, -0.5]);
    // Adam's first step moves each trainable parameter by -lr (sign of the gradient)
    expect(Array.from(nx.toTypedArray(next.classifier.weight))).toEqual([Math.fround(2 - 0.1), Math.fround(1 - 0.1)].map((v) => expect.closeTo(v, 6)));
  });

  it('freeze in Train.step: no gradient work for frozen layers, the same result, frozen tensors kept as they are', async () => {
    const m = Layer.sequential([Layer.linear({ inFeatures: 6, outFeatures: 64 }), Layer.tanh(), Layer.linear({ inFeatures: 64, outFeatures: 64 }), Layer.tanh(), Layer.linear({ inFeatures: 64, outFeatures: 3 })]);
    const frozen = (path: string) => !path.startsWith('4.'); // train the head only
    const direct = Train.make({ model: m, optimizer: Optim.freeze(Optim.adam({ lr: 1e-2 }), { frozen }), loss: Loss.softmaxCrossEntropy });
    const wrapped = Train.make({ model: m, optimizer: Optim.chain(Optim.freeze(Optim.adam({ lr: 1e-2 }), { frozen })), loss: Loss.softmaxCrossEntropy });
    let a = Train.makeState(direct, m.init({ key: nx.random.key(0) }));
    let b = Train.makeState(wrapped, m.init({ key: nx.random.key(0) }));
    const body = Ptree.get(a.vars.params, '0.weight');
    const kernels: number[] = [];
    for (let i = 0; i < 3; i++) {
      const bt = batch(10 + i, 8);
      for (const which of ['a', 'b'] as const) {
        const info = await tf.profile(() => {
          const r = Train.step(which === 'a' ? direct : wrapped, which === 'a' ? a : b, bt);
          if (which === 'a') a = r.state; else b = r.state;
          nx.dispose(r.loss);
        });
        if (i === 0) kernels.push(info.kernels.length);
      }
      nx.dispose(bt);
    }
    expect(flat(a.vars.params)).toEqual(flat(b.vars.params));
    expect(Ptree.get(a.vars.params, '0.weight')).toBe(body); // the very tensor: not p + 0
    expect(kernels[0]!).toBeLessThan(kernels[1]! - 10); // the backward pass stopped at the head
    const all = Train.make({ model: m, optimizer: Optim.freeze(Optim.adam(), { frozen: () => true }), loss: Loss.softmaxCrossEntropy });
    const bt = batch(20, 4);
    const s0 = Train.makeState(all, m.init({ key: nx.random.key(1) }));
    expect(() => Train.step(all, s0, bt)).toThrow(/freezes every parameter/);
    Ptree.dispose([s0.vars.params, s0.optState]);
    nx.dispose(bt);
    Ptree.dispose([a.vars.params, a.optState, b.vars.params, b.optState]);
  });

  it('multiTransform: per-group learning rates equal separate optimizers on each group', () => {
    const p = params();
    const labelled = Optim.multiTransform({
      transforms: { body: Optim.sgd({ lr: 0.01, momentum: 0.9 }), head: Optim.sgd({ lr: 1 }) },
      labels: (path) => (path.startsWith('classifier.') ? 'head' : 'body'),
    });
    let s = labelled.init(p);
    expect(Object.keys(s)).toEqual(['body', 'head']);
    let cur: Ptree.Tree = p;
    for (let i = 0; i < 2; i++) {
      const r = labelled.update(grads(), s, cur);
      cur = Optim.applyUpdates(cur, r.updates);
      s = r.state;
    }
    const c = cur as ReturnType<typeof params>;
    // head: plain SGD lr 1, two steps of gradient 1; body: momentum 0.9: -0.01 then -0.01 * 1.9
    expect(Array.from(nx.toTypedArray(c.classifier.weight))).toEqual([0, -1]);
    expect(Array.from(nx.toTypedArray(c.encoder.layer[0]!.bias))[0]).toBeCloseTo(0.1 - 0.01 - 0.019, 6);
    expect(() => Optim.multiTransform({ transforms: { a: Optim.sgd() }, labels: () => 'b' }).init(p)).toThrow(/names no transform/);
  });

  it('masked: the inner transform sees only the masked leaves; the others pass through', () => {
    const p = params();
    const opt = Optim.masked(Optim.scale(10), (path) => path.endsWith('bias'));
    const { updates } = opt.update(grads(), opt.init(p), p);
    const u = updates as ReturnType<typeof params>;
    expect(nx.toArray(u.classifier.bias)).toEqual([10]);
    expect(nx.toArray(u.classifier.weight)).toEqual([1, 1]);
  });

  it('matchPaths: globs over path segments and RegExps', () => {
    const noDecay = Optim.matchPaths('**.bias', '**.LayerNorm.weight');
    expect(['bias', 'a.bias', 'encoder.layer.0.output.LayerNorm.weight', 'a.bias_x', 'LayerNorm.weight'].map(noDecay)).toEqual([true, true, true, false, true]);
    const attn = Optim.matchPaths('encoder.layer.*.attention.**');
    expect(attn('encoder.layer.11.attention.self.query.weight')).toBe(true);
    expect(attn('encoder.layer.1.output.dense.weight')).toBe(false);
    expect(Optim.matchPaths('embed*.**')('embeddings.word_embeddings.weight')).toBe(true);
    expect(Optim.matchPaths(/^pooler\./)('pooler.dense.weight')).toBe(true);
  });
});

describe('Optim.injectHyperparams', () => {
  it('gives the same updates as the plain optimizer, and a changed value changes the next update', () => {
    const p = { w: nx.fromArray([1, -1, 2]) };
    const g = { w: nx.fromArray([0.5, 0.25, -1]) };
    const plain = Optim.adam({ lr: 1e-2 });
    const injected = Optim.injectHyperparams((h) => Optim.adam({ lr: h.lr }), { lr: 1e-2 });
    let s = injected.init(p);
    expect(Optim.hyperparams(s)).toEqual([{ path: '', values: { lr: Math.fround(1e-2) } }]);
    const a = plain.update(g, plain.init(p), p);
    const b = injected.update(g, s, p);
    expect(flat(b.updates)).toEqual(flat(a.updates).map((v) => expect.closeTo(v, 9)));
    s = b.state;
    const { state: lowered, changed } = Optim.setHyperparams(s, (name, v) => (name === 'lr' ? v / 10 : v));
    expect(changed).toBe(1);
    expect(Optim.hyperparams(lowered)[0]!.values['lr']).toBeCloseTo(1e-3, 9);
    const c = injected.update(g, lowered, p);
    const d = plain.update(g, a.state, p);
    // same moments, a tenth of the learning rate
    expect(flat(c.updates)).toEqual(flat(d.updates).map((v) => expect.closeTo(v / 10, 8)));
  });
});
