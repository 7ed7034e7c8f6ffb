import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { randomTensor } from '../_helpers.js';

describe('memory', () => {
  it('scope frees intermediates and keeps the returned tensors (nested in arrays and objects)', () => {
    const before = nx.memory().numTensors;
    const out = nx.scope(() => {
      const a = nx.ones([3]);
      const b = nx.add(a, 2);
      return { b, list: [nx.mul(b, b)], n: 3 };
    });
    expect(nx.memory().numTensors).toBe(before + 2);
    expect(out.n).toBe(3);
    nx.dispose(out);
    expect(nx.memory().numTensors).toBe(before);
  });

  it('keep lets a tensor outlive its scope; dispose is safe twice; copy is independent', () => {
    const before = nx.memory().numTensors;
    let kept: nx.Tensor | undefined;
    nx.scope(() => {
      kept = nx.keep(nx.zeros([2]));
      nx.ones([2]);
    });
    expect(nx.memory().numTensors).toBe(before + 1);
    const c = nx.copy(kept!);
    nx.dispose(kept);
    nx.dispose(kept);
    expect(c.isDisposed).toBe(false);
    nx.dispose(c);
    expect(nx.memory().numTensors).toBe(before);
  });

  it('no op leaves anything behind but its result, numbers and mixed dtypes included', () => {
    const x = randomTensor([2, 3], 1);
    const i = nx.fromArray([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' });
    const b = nx.greater(x, 0);
    const img = randomTensor([1, 2, 5, 5], 2);
    const w = randomTensor([3, 2, 3, 3], 3);
    const k = nx.random.key(0);
    // inputs made up front: each call below must create its results and nothing else
    const fi = nx.cast(i, 'float32');
    const it = nx.transpose(i);
    const a23 = randomTensor([2, 3], 4);
    const a432 = randomTensor([4, 3, 2], 5);
    const am = nx.argmax(x, { axis: 1, keepDims: true });
    const seq = nx.reshape(img, [1, 2, 25]);
    const w1 = nx.reshape(nx.slice(w, ['...', 0, null]), [3, 2, 3]);
    const p = nx.sigmoid(x);
    const calls: Array<[string, () => unknown]> = [
      ['add number', () => nx.add(x, 1)],
      ['mul int/float', () => nx.mul(i, 1.5)],
      ['floorDiv', () => nx.floorDiv(x, 2)],
      ['compare number', () => nx.less(i, 2.5)],
      ['logical with boolean', () => nx.logicalAnd(b, true)],
      ['where numbers', () => nx.where(b, 1, 0)],
      ['where bool', () => nx.where(b, b, false)],
      ['exp of int', () => nx.exp(i)],
      ['mean of int', () => nx.mean(i, { axis: 1 })],
      ['sum of bool', () => nx.sum(b)],
      ['variance', () => nx.variance(x, { axis: 0 })],
      ['argmax', () => nx.argmax(x, { axis: 1, keepDims: true })],
      ['cumsum bool', () => nx.cumsum(b)],
      ['softmax of int', () => nx.softmax(i)],
      ['logSoftmax', () => nx.logSoftmax(x, 0)],
      ['matmul mixed', () => nx.matmul(fi, it)],
      ['dot N-d', () => nx.dot(a23, a432)],
      ['einsum', () => nx.einsum('ij,kj->ik', x, x)],
      ['slice', () => nx.slice(x, [[null, null, -1], [0, 3, 2]])],
      ['slice bool', () => nx.slice(b, [[null, null, -1], [0, 3, 2]])],
      ['take', () => nx.take(x, [0, -1], { axis: 1 })],
      ['takeAlongAxis', () => nx.takeAlongAxis(x, am, 1)],
      ['oneHot', () => nx.oneHot([0, 1], 3)],
      ['flip bool', () => nx.flip(b)],
      ['pad reflect', () => nx.pad(x, [[1, 1], [1, 1]], 0, 'reflect')],
      ['conv2d dilated strided', () => nx.conv2d(img, w, { stride: 2, dilation: 2, padding: 'same' })],
      ['conv1d', () => nx.conv1d(seq, w1)],
      ['maxPool2d', () => nx.maxPool2d(img, { kernelSize: 2 })],
      ['random.categorical', () => nx.random.categorical(k, x)],
      ['random.bernoulli tensor p', () => nx.random.bernoulli(k, p)],
      ['random.permutation tensor', () => nx.random.permutation(k, x)],
      ['format', () => nx.format(x)],
      ['valueAndGrad with aux', () => nx.valueAndGrad((a: nx.Tensor) => [nx.sum(nx.square(a)), { m: nx.mean(a) }] as [nx.Tensor, { m: nx.Tensor }], { hasAux: true })(x)],
      ['checkGrad', () => nx.checkGrad((a) => nx.sum(nx.tanh(a)), [x], { maxPoints: 3 }).ok],
    ];
    for (const [name, call] of calls) {
      const before = nx.memory().numTensors;
      const r = call();
      const held: nx.Tensor[] = [];
      const collect = (v: unknown): void => {
        if (nx.isTensor(v)) held.push(v);
        else if (Array.isArray(v)) v.forEach(collect);
        else if (v !== null && typeof v === 'object') Object.values(v).forEach(collect);
      };
      collect(r);
      const created = nx.memory().numTensors - before;
      nx.dispose(r);
      expect(nx.memory().numTensors, `${name} leaked`).toBe(before);
      expect(created, `${name} created ${created} tensors for ${held.length} results`).toBe(new Set(held).size);
    }
    nx.dispose([x, i, b, img, w, fi, it, a23, a432, am, seq, w1, p]);
  });

  it('1,000 training steps of a small MLP keep the live-tensor count flat', () => {
    // 4-16-3 MLP regressing a fixed target with squared error, plain SGD; each step runs in a
    // scope and swaps the parameters, disposing the old ones.
    const xs = randomTensor([16, 4], 7);
    const target = randomTensor([16, 3], 6);
    const labels = nx.zeros([1]);
    let params = [nx.mul(randomTensor([4, 16], 8), 0.5), nx.zeros([16]), nx.mul(randomTensor([16, 3], 9), 0.5), nx.zeros([3])];
    const loss = (w1: nx.Tensor, b1: nx.Tensor, w2: nx.Tensor, b2: nx.Tensor): nx.Tensor => {
      const h = nx.relu(nx.add(nx.matmul(xs, w1), b1));
      return nx.mean(nx.square(nx.sub(nx.add(nx.matmul(h, w2), b2), target)));
    };
    const vg = nx.valueAndGrad(loss);
    const step = (): number => {
      const { next, value } = nx.scope(() => {
        const { value, grads } = vg(...params);
        return { next: params.map((p, j) => nx.sub(p, nx.mul(grads[j]!, 0.1))), value };
      });
      nx.dispose(params);
      params = next;
      const v = nx.item(value) as number;
      nx.dispose(value);
      return v;
    };
    const first = step();
    const baseline = nx.memory().numTensors;
    let last = first;
    for (let s = 1; s < 1000; s++) {
      last = step();
      if (s % 100 === 0) expect(nx.memory().numTensors, `step ${s}`).toBe(baseline);
    }
    expect(nx.memory().numTensors).toBe(baseline);
    expect(last).toBeLessThan(first); // it trains
    nx.dispose([params, xs, labels, target]);
  });
});
