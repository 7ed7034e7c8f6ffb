/**
 * What a CNN and an embedding + attention model need to train, on whichever backend the project
 * runs (wasm and cpu): gradients of conv2d, pooling, gather, batched and transposed matmul and
 * softmax checked by finite differences, and a training loop whose tensor count stays flat.
 */
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { seeded } from './_compare.js';

const tensor = (seed: number, shape: number[], scale = 1): nx.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return nx.fromArray(Float32Array.from(seeded(seed)(n), (v) => v * scale), { shape });
};

describe(`training kernels on ${nx.backendInfo().backend}`, () => {
  it('conv2d gradients (input and filter) agree with finite differences', () => {
    const x = tensor(1, [2, 2, 6, 6]);
    const w = tensor(2, [3, 2, 3, 3]);
    for (const options of [{ padding: 'same' as const }, { stride: 2, padding: 'valid' as const }, { stride: 2, padding: [[1, 0], [0, 1]] as Array<[number, number]> }]) {
      const r = nx.checkGrad((x, w) => nx.sum(nx.square(nx.conv2d(x!, w!, options))), [x, w], { maxPoints: 24 });
      expect(r.ok, JSON.stringify({ options, worst: r.worst })).toBe(true);
    }
    nx.dispose([x, w]);
  });

  it('max and average pooling gradients agree with finite differences', () => {
    const x = tensor(3, [1, 2, 5, 5]);
    const r = nx.checkGrad((x) => nx.add(nx.sum(nx.square(nx.maxPool2d(x!, { kernelSize: 2 }))), nx.sum(nx.square(nx.avgPool2d(x!, { kernelSize: 3, stride: 1, padding: 'same' })))), [x]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    x.dispose();
  });

  it('an embedding lookup followed by attention agrees with finite differences', () => {
    const table = tensor(4, [6, 4]);
    const wq = tensor(5, [4, 4], 0.5);
    const ids = [[0, 5, 5], [2, 0, 1]];
    const f = (table: nx.Tensor | undefined, wq: nx.Tensor | undefined) => nx.scope(() => {
      const h = nx.gather(table!, ids); // [2, 3, 4]
      const q = nx.matmul(h, wq!);
      const scores = nx.matmul(q, nx.swapAxes(h, -1, -2)); // [2, 3, 3]
      return nx.sum(nx.square(nx.matmul(nx.softmax(scores), h)));
    });
    const r = nx.checkGrad(f, [table, wq]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    nx.dispose([table, wq]);
  });

  it('a small CNN + embedding model trains without the live tensor count growing', () => {
    const params = { w: tensor(6, [4, 1, 3, 3], 0.3), emb: tensor(7, [10, 4], 0.3), out: tensor(8, [4 * 4 * 4, 3], 0.1) };
    const x = tensor(9, [8, 1, 8, 8]);
    const labels = nx.fromArray([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' });
    const tokens = [3, 1, 4, 1, 5, 9, 2, 6];
    const loss = (w: nx.Tensor | undefined, emb: nx.Tensor | undefined, out: nx.Tensor | undefined) => {
      const h = nx.maxPool2d(nx.relu(nx.conv2d(x, w!, { padding: 'same' })), { kernelSize: 2 }); // [8, 4, 4, 4]
      const feats = nx.add(nx.reshape(h, [8, -1]), nx.tile(nx.gather(emb!, tokens), [1, 16]));
      const logp = nx.logSoftmax(nx.matmul(feats, out!));
      return nx.neg(nx.mean(nx.sum(nx.mul(nx.oneHot(labels, 3), logp), { axis: -1 })));
    };
    const step = () => {
      const { value, grads } = nx.valueAndGrad(loss)(params.w, params.emb, params.out);
      const next = nx.scope(() => ({ w: nx.sub(params.w, nx.mul(grads[0]!, 0.1)), emb: nx.sub(params.emb, nx.mul(grads[1]!, 0.1)), out: nx.sub(params.out, nx.mul(grads[2]!, 0.1)) }));
      nx.dispose([grads, params]);
      Object.assign(params, next);
      const v = value.dataSync()[0]!;
      value.dispose();
      return v;
    };
    const first = step();
    const before = nx.memory().numTensors;
    let last = first;
    for (let i = 0; i < 30; i++) last = step();
    expect(nx.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    nx.dispose([params, x, labels]);
  });
});
