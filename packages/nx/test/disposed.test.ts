// Using a freed tensor is a DisposedTensorError that names the nx function, the argument, the
// tensor's shape and dtype and the usual cause, for every kind of operation, instead of
// "TypeError: Cannot read properties of undefined (reading 'backend')" from inside TF.js.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';

function freed(shape: number[] = [2, 3], dtype: nx.DType = 'float32'): nx.Tensor {
  const t = nx.zeros(shape, dtype);
  nx.dispose(t);
  return t;
}

function errorOf(f: () => unknown): nx.DisposedTensorError {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(nx.DisposedTensorError);
    return e as nx.DisposedTensorError;
  }
  throw new Error('expected a DisposedTensorError');
}

describe('a freed tensor passed to nx', () => {
  it('nx.add(freed, 1): names the function, the argument, shape, dtype and the cause', () => {
    const x = freed([2, 2]);
    const e = errorOf(() => nx.add(x, 1));
    expect(e.message).toBe(
      'nx.add: argument x (shape [2, 2], dtype float32) has been disposed. Tensors are freed by nx.dispose, at the end of the nx.scope ' +
        'that made them (only what it returns survives), and by Train.step and Train.fit, which consume the TrainState they are given: ' +
        'keep using the state they return.',
    );
    expect([e.where, e.argument, e.shape, e.dtype]).toEqual(['nx.add', 'x', [2, 2], 'float32']);
    expect(e).toBeInstanceOf(nx.ValueError);
  });

  it('says which of several tensor arguments was freed', () => {
    const ok = nx.ones([2, 2]);
    const bad = freed([2, 2]);
    const cases: Array<[() => unknown, string, string]> = [
      [() => nx.add(ok, bad), 'nx.add', 'y'],
      [() => nx.mul(bad, ok), 'nx.mul', 'x'],
      [() => nx.atan2(bad, ok), 'nx.atan2', 'y'],
      [() => nx.greater(ok, bad), 'nx.greater', 'y'],
      [() => nx.where(nx.greater(ok, 0), ok, bad), 'nx.where', 'y'],
      [() => nx.matmul(ok, bad), 'nx.matmul', 'b'],
      [() => nx.matmul(bad, ok), 'nx.matmul', 'a'],
      [() => nx.conv2d(nx.ones([1, 1, 4, 4]), freed([1, 1, 3, 3])), 'nx.conv2d', 'w'],
    ];
    for (const [f, where, arg] of cases) {
      const e = errorOf(f);
      expect([e.where, e.argument], e.message).toEqual([where, arg]);
    }
    nx.dispose(ok);
  });

  it('every kind of operation names itself: unary, reductions, shapes, indexing, nn, linalg, random, reading', () => {
    const x = freed([4, 4]);
    const cases: Array<[() => unknown, string]> = [
      [() => nx.exp(x), 'nx.exp'],
      [() => nx.neg(x), 'nx.neg'],
      [() => nx.sum(x, { axis: 0 }), 'nx.sum'],
      [() => nx.mean(x), 'nx.mean'],
      [() => nx.std(x), 'nx.std'],
      [() => nx.argmax(x, { axis: 1 }), 'nx.argmax'],
      [() => nx.softmax(x), 'nx.softmax'],
      [() => nx.reshape(x, [16]), 'nx.reshape'],
      [() => nx.transpose(x), 'nx.transpose'],
      [() => nx.concatenate([x, x]), 'nx.concatenate'],
      [() => nx.take(x, [0], { axis: 0 }), 'nx.take'],
      [() => nx.cast(x, 'int32'), 'nx.cast'],
      [() => nx.random.categorical(nx.random.key(0), x), 'nx.random.categorical'],
      [() => nx.toArray(x), 'nx.toArray'],
      [() => nx.item(freed([1])), 'nx.item'],
    ];
    for (const [f, where] of cases) {
      const e = errorOf(f);
      expect(e.where, e.message).toBe(where);
      expect(e.message).toMatch(/\(shape \[\d+(, \d+)*\], dtype float32\) has been disposed\. Tensors are freed by nx\.dispose/);
      expect(e.message).not.toMatch(/Cannot read properties/);
    }
  });

  it('inside a differentiated function and inside a scope, the failing nx call is named', () => {
    const captured = freed([3]);
    const e = errorOf(() => nx.valueAndGrad((w: nx.Tensor) => nx.sum(nx.mul(w, captured)))(nx.ones([3])));
    expect([e.where, e.argument]).toEqual(['nx.mul', 'y']);
    expect(errorOf(() => nx.scope(() => nx.relu(captured))).where).toBe('nx.relu');
  });

  it('the failed call leaks nothing: the live-tensor count is unchanged', () => {
    const bad = freed([8, 8]);
    const ok = nx.ones([8, 8]);
    const before = nx.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      errorOf(() => nx.scope(() => nx.matmul(nx.add(ok, 1), bad)));
      errorOf(() => nx.valueAndGrad((w: nx.Tensor) => nx.sum(nx.mul(w, bad)))(ok));
    }
    expect(nx.memory().numTensors).toBe(before);
    nx.dispose(ok);
  });

  it('TF.js called directly with a freed tensor gets the same error, naming the kernel input', () => {
    const e = errorOf(() => tf.add(nx.ones([2]), freed([2])));
    expect(e.where).toBe('TF.js Add');
    expect(e.argument).toBe("'b'");
  });
});
