import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { expectTensor, randomTensor, values } from '../_helpers.js';

/** A fixed random linear read-out, so a gradient check sees every output element with a different weight. */
const readout = (y: nx.Tensor, seed = 99): nx.Tensor => nx.sum(nx.mul(y, randomTensor(y.shape, seed)));

describe('grad and valueAndGrad', () => {
  it('gradients of simple functions match the calculus', () => {
    nx.scope(() => {
      const x = nx.fromArray([1, 2, 3]);
      const [g] = nx.grad((a) => nx.sum(nx.mul(a, a)))(x);
      expectTensor(g!, [3], [2, 4, 6]);
      const { value, grads } = nx.valueAndGrad((a, b) => nx.sum(nx.mul(a, nx.exp(b))))(x, nx.fromArray([0, 1, 2]));
      expectTensor(value, [], [1 + 2 * Math.E + 3 * Math.E ** 2], 1e-5);
      expectTensor(grads[0]!, [3], [1, Math.E, Math.E ** 2], 1e-5);
      expectTensor(grads[1]!, [3], [1, 2 * Math.E, 3 * Math.E ** 2], 1e-5);
    });
  });

  it('hasAux returns auxiliary outputs, tensors included, without gradients through them', () => {
    nx.scope(() => {
      const x = nx.fromArray([1, -2]);
      const f = nx.valueAndGrad(
        (a: nx.Tensor) => {
          const sq = nx.square(a);
          const loss = nx.sum(sq);
          return [loss, { sq, note: 'hello', nested: [nx.mean(a)], loss }] as [nx.Tensor, { sq: nx.Tensor; note: string; nested: nx.Tensor[]; loss: nx.Tensor }];
        },
        { hasAux: true },
      );
      const { value, grads, aux } = f(x);
      expectTensor(value, [], [5]);
      expectTensor(grads[0]!, [2], [2, -4]);
      expectTensor(aux.sq, [2], [1, 4]);
      expectTensor(aux.nested[0]!, [], [-0.5]);
      expect(aux.note).toBe('hello');
      expect(aux.sq.isDisposed).toBe(false);
      expectTensor(aux.loss, [], [5]);
    });
  });

  it('hasAux leaves pre-existing tensors returned as aux alone', () => {
    const outside = nx.fromArray([7]);
    const x = nx.fromArray([1]);
    const { value, grads, aux } = nx.valueAndGrad((a: nx.Tensor) => [nx.sum(a), outside] as [nx.Tensor, nx.Tensor], { hasAux: true })(x);
    expect(aux).toBe(outside);
    expect(outside.isDisposed).toBe(false);
    nx.dispose([outside, x, value, grads]);
  });

  it('an argument the value does not depend on gets a zero gradient', () => {
    nx.scope(() => {
      const { grads } = nx.valueAndGrad((a, _b) => nx.sum(nx.square(a)))(nx.fromArray([1]), nx.fromArray([[1, 2]]));
      expectTensor(grads[1]!, [1, 2], [0, 0]);
    });
  });

  it('stopGradient blocks the gradient but keeps the value', () => {
    nx.scope(() => {
      const x = nx.fromArray([3]);
      const { value, grads } = nx.valueAndGrad((a) => nx.sum(nx.mul(a, nx.stopGradient(a))))(x);
      expectTensor(value, [], [9]);
      expectTensor(grads[0]!, [1], [3]);
    });
  });

  it('refuses non-scalar values and non-float arguments, naming shape and dtype', () => {
    nx.scope(() => {
      expect(() => nx.grad((a) => nx.mul(a, 2))(nx.fromArray([1, 2]))).toThrow(/valueAndGrad: the function must return a scalar tensor \(a loss\), got shape \[2\]/);
      expect(() => nx.grad((a) => nx.sum(a))(nx.fromArray([1], { dtype: 'int32' }))).toThrow(nx.DTypeError);
      expect(() => nx.grad((a) => nx.sum(a))(nx.fromArray([1], { dtype: 'int32' }))).toThrow(/argument 0 has dtype int32/);
      expect(() => nx.valueAndGrad((a: nx.Tensor) => nx.sum(a) as unknown as [nx.Tensor, number], { hasAux: true })(nx.fromArray([1]))).toThrow(/with hasAux the function must return \[value, aux\]/);
    });
  });

  it('does not leak: intermediates are freed, the caller owns value and grads', () => {
    const x = nx.fromArray([1, 2, 3]);
    const before = nx.memory().numTensors;
    const { value, grads } = nx.valueAndGrad((a) => nx.sum(nx.tanh(nx.mul(nx.exp(a), 3))))(x);
    expect(nx.memory().numTensors).toBe(before + 2);
    nx.dispose([value, grads]);
    expect(nx.memory().numTensors).toBe(before);
    nx.dispose(x);
  });
});

describe('checkGrad: analytic gradients agree with finite differences', () => {
  const cases: Array<[string, (...xs: nx.Tensor[]) => nx.Tensor, number[][]]> = [
    ['elementwise chain (exp, tanh, sigmoid, div, pow)', (a, b) => readout(nx.div(nx.mul(nx.exp(a), nx.tanh(b)), nx.add(nx.sigmoid(a), 1.5))), [[3, 4], [3, 4]]],
    ['broadcast add and mul', (a, b) => readout(nx.mul(nx.add(a, b), b)), [[3, 1, 4], [2, 4]]],
    ['log, sqrt, softplus on positives', (a) => readout(nx.add(nx.log(nx.add(nx.square(a), 1)), nx.softplus(a))), [[5]]],
    ['where and clip', (a, b) => readout(nx.where(nx.greater(a, 0), nx.clip(b, -0.5, 0.5), nx.mul(b, 3))), [[4, 3], [4, 3]]],
    ['sum, mean, logsumexp, variance over axes', (a) => nx.add(nx.add(readout(nx.mean(a, { axis: 1 })), readout(nx.logsumexp(a, { axis: 0 }))), readout(nx.variance(a, { axis: [0, 2] }))), [[3, 4, 2]]],
    ['cumsum', (a) => readout(nx.cumsum(a, { axis: 1, reverse: true })), [[3, 5]]],
    ['matmul with batch broadcasting', (a, b) => readout(nx.matmul(a, b)), [[2, 1, 3, 4], [5, 4, 2]]],
    ['dot and outer', (a, b) => nx.add(readout(nx.outer(a, b)), nx.dot(a, a)), [[4], [3]]],
    ['einsum attention scores', (q, k) => readout(nx.einsum('bhqd,bhkd->bhqk', q, k)), [[1, 2, 3, 4], [1, 2, 5, 4]]],
    ['einsum trace, transpose, three operands', (a, b, c) => nx.add(nx.einsum('ii->', a), readout(nx.einsum('ab,bc,cd->da', a, b, c))), [[3, 3], [3, 4], [4, 2]]],
    ['slice with steps, negative steps, newaxis, ellipsis', (a) => readout(nx.slice(a, [[null, null, -2], 'newaxis', '...', [4, 0, -3]])), [[5, 3, 6]]],
    ['slice with an integer index', (a) => readout(nx.slice(a, [-1, [1, null, 2]])), [[3, 5]]],
    ['reshape, transpose, concatenate, stack, pad, tile, flip', (a, b) =>
      readout(nx.flip(nx.tile(nx.pad(nx.concatenate([nx.transpose(nx.reshape(a, [3, 2])), b], 0), [[1, 0], [0, 2]]), [1, 2]), 1)), [[6], [1, 3]]],
    ['stack and split', (a) => {
      const [p, q] = nx.split(a, 2, 1);
      return readout(nx.stack([nx.mul(p!, q!), p!], 0));
    }, [[2, 4]]],
    ['softmax and logSoftmax', (a) => nx.add(readout(nx.softmax(a, 0)), readout(nx.logSoftmax(a), 7)), [[3, 4]]],
    ['conv2d with stride and padding (input and filters)', (x, w) => readout(nx.conv2d(x, w, { stride: 2, padding: 'same' })), [[1, 2, 5, 5], [3, 2, 3, 3]]],
    ['conv2d with dilation and stride', (x, w) => readout(nx.conv2d(x, w, { stride: 2, dilation: 2 })), [[1, 2, 7, 7], [2, 2, 2, 2]]],
    ['conv1d', (x, w) => readout(nx.conv1d(x, w, { padding: 'same' })), [[2, 2, 6], [3, 2, 3]]],
    ['avgPool2d', (x) => readout(nx.avgPool2d(x, { kernelSize: 2, stride: 1 })), [[1, 2, 4, 4]]],
    ['take, gather and takeAlongAxis', (a) => {
      const t = nx.take(a, [2, 0, 2], { axis: 1 });
      const g = nx.gather(a, [1, 1]);
      const al = nx.takeAlongAxis(a, nx.fromArray([[0, 3], [1, 1], [2, 0]], { dtype: 'int32' }), 1);
      return nx.add(nx.add(readout(t), readout(g, 5)), readout(al, 6));
    }, [[3, 4]]],
  ];
  cases.forEach(([name, f, shapes]) => {
    it(name, () => {
      nx.scope(() => {
        const xs = shapes.map((s, i) => randomTensor(s, 10 + i));
        const r = nx.checkGrad(f, xs, { maxPoints: 24 });
        expect(r.ok, `worst ${JSON.stringify(r.worst)}`).toBe(true);
      });
    });
  });

  it('maxPool2d (values well apart, so the maximum is unique)', () => {
    nx.scope(() => {
      // a permutation of 0..31 scaled by 0.1: no ties within a finite-difference step
      const perm = [5, 17, 2, 30, 11, 25, 8, 20, 14, 1, 28, 23, 9, 31, 4, 16, 26, 0, 19, 12, 7, 29, 22, 3, 13, 24, 10, 27, 6, 18, 15, 21];
      const x = nx.fromArray(perm.map((v) => v * 0.1), { shape: [1, 2, 4, 4] });
      const r = nx.checkGrad((a) => readout(nx.maxPool2d(a, { kernelSize: 2 })), [x]);
      expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    });
  });

  it('checkGrad catches a wrong gradient', () => {
    nx.scope(() => {
      // stopGradient hides half of d(x^2)/dx: the analytic gradient is x, the numeric one 2x
      const r = nx.checkGrad((a) => nx.sum(nx.mul(a, nx.stopGradient(a))), [nx.fromArray([1, 2, 3])]);
      expect(r.ok).toBe(false);
      expect(r.worst).not.toBeNull();
      expect(r.maxAbsError).toBeGreaterThan(0.9);
    });
  });

  it('gradients of slice place the upstream gradient at the picked positions', () => {
    nx.scope(() => {
      const x = nx.reshape(nx.arange(12, undefined, 1, 'float32'), [3, 4]);
      const [g] = nx.grad((a) => nx.sum(nx.slice(a, [[null, null, -2], [3, null, -2]])))(x);
      // rows 2 and 0, columns 3 and 1
      expect(values(g!)).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]);
    });
  });
});
