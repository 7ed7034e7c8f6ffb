import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { expectTensor, values } from '../_helpers.js';

describe('creation', () => {
  it('zeros, ones, full and scalar give the requested shape, dtype and value', () => {
    nx.scope(() => {
      const z = nx.zeros([2, 3]);
      expect(z.dtype).toBe('float32');
      expectTensor(z, [2, 3], [0, 0, 0, 0, 0, 0]);
      const o = nx.ones([3], 'int32');
      expect(o.dtype).toBe('int32');
      expectTensor(o, [3], [1, 1, 1]);
      expectTensor(nx.full([2, 2], 7.5), [2, 2], [7.5, 7.5, 7.5, 7.5]);
      expect(nx.full([2], true).dtype).toBe('bool');
      expect(nx.scalar(3).shape).toEqual([]);
      expect(nx.scalar(false).dtype).toBe('bool');
      expect(nx.zeros([0, 4]).size).toBe(0);
    });
  });

  it('*Like copies shape and dtype, or takes a given dtype', () => {
    nx.scope(() => {
      const x = nx.fromArray([[1, 2, 3]], { dtype: 'int32' });
      const z = nx.zerosLike(x);
      expect([z.shape, z.dtype]).toEqual([[1, 3], 'int32']);
      expectTensor(nx.onesLike(x, 'float32'), [1, 3], [1, 1, 1]);
      expect(nx.onesLike(x, 'float32').dtype).toBe('float32');
      expectTensor(nx.fullLike(x, 4), [1, 3], [4, 4, 4]);
    });
  });

  it('arange follows NumPy: stop only, start/stop/step, negative and fractional steps', () => {
    nx.scope(() => {
      const a = nx.arange(5);
      expect(a.dtype).toBe('int32');
      expectTensor(a, [5], [0, 1, 2, 3, 4]);
      expectTensor(nx.arange(2, 10, 3), [3], [2, 5, 8]);
      expectTensor(nx.arange(5, 0, -2), [3], [5, 3, 1]);
      const f = nx.arange(0, 1, 0.25);
      expect(f.dtype).toBe('float32');
      expectTensor(f, [4], [0, 0.25, 0.5, 0.75]);
      expect(nx.arange(3, 1).shape).toEqual([0]);
    });
    expect(() => nx.arange(0, 5, 0)).toThrow(/arange: step must not be 0/);
  });

  it('linspace includes the end point by default and can leave it out', () => {
    nx.scope(() => {
      expectTensor(nx.linspace(0, 1, 5), [5], [0, 0.25, 0.5, 0.75, 1]);
      expectTensor(nx.linspace(0, 1, 4, false), [4], [0, 0.25, 0.5, 0.75]);
      expectTensor(nx.linspace(2, 2, 1), [1], [2]);
      expect(nx.linspace(0, 1, 0).shape).toEqual([0]);
    });
    expect(() => nx.linspace(0, 1, -1)).toThrow(/linspace: num must be a non-negative integer/);
  });

  it('eye puts ones on diagonal k of an n x m matrix', () => {
    nx.scope(() => {
      expectTensor(nx.eye(3), [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
      expectTensor(nx.eye(2, 3, 1), [2, 3], [0, 1, 0, 0, 0, 1]);
      expectTensor(nx.eye(3, 2, -1), [3, 2], [0, 0, 1, 0, 0, 1]);
      expect(nx.eye(2, 2, 0, 'int32').dtype).toBe('int32');
    });
  });

  it('fromArray reads nested arrays, typed arrays and booleans', () => {
    nx.scope(() => {
      const x = nx.fromArray([[1, 2], [3, 4], [5, 6]]);
      expect([x.shape, x.dtype]).toEqual([[3, 2], 'float32']);
      expect(values(x)).toEqual([1, 2, 3, 4, 5, 6]);
      const i = nx.fromArray(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
      expect([i.shape, i.dtype]).toEqual([[2, 3], 'int32']);
      const b = nx.fromArray([true, false]);
      expect(b.dtype).toBe('bool');
      expect(values(b)).toEqual([1, 0]);
      expect(nx.fromArray(5).shape).toEqual([]);
      expect(nx.fromArray([1.7, -2.2], { dtype: 'int32' }).dtype).toBe('int32');
    });
  });

  it('fromArray refuses ragged arrays, size mismatches and storage dtypes', () => {
    expect(() => nx.fromArray([[1, 2], [3]])).toThrow(nx.ShapeError);
    expect(() => nx.fromArray([[1, 2], [3]])).toThrow(/fromArray: ragged/);
    expect(() => nx.fromArray([1, 2, 3], { shape: [2, 2] })).toThrow(/shape \[2, 2\] holds 4 elements but the data has 3/);
    expect(() => nx.zeros([2, -1])).toThrow(/zeros: shape \[2,-1\]/);
    expect(() => nx.zeros([2], 'float64' as nx.DType)).toThrow(nx.DTypeError);
    expect(() => nx.zeros([2], 'float64' as nx.DType)).toThrow(/dtype float64/);
  });

  // the batch buffers of kaun's Data are refilled after each fromArray(..., {copy: true}): the
  // tensors made before must keep their values, whether they were used by an op yet or not
  it(`fromArray with copy: true keeps no reference to the array (${nx.backendInfo().backend})`, () => {
    for (let round = 0; round < 20; round++) { // native: some allocations are aligned as TensorFlow wants, some not
      const f = Float32Array.from({ length: 4096 }, (_, i) => i + round);
      const n = new Int32Array([1, -2, 3, round]);
      const b = new Uint8Array([1, 0, 1, 1]);
      const tf32 = nx.fromArray(f, { shape: [64, 64], copy: true });
      const ti32 = nx.fromArray(n, { shape: [2, 2], copy: true });
      const tb = nx.fromArray(b, { shape: [4], dtype: 'bool', copy: true });
      const sum = nx.sum(tf32); // used by an op before the array changes
      f.fill(-1);
      n.fill(-1);
      b.fill(0);
      const want = Array.from({ length: 4096 }, (_, i) => i + round);
      expect(Array.from(tf32.dataSync())).toEqual(want);
      expect(nx.item(sum)).toBe(want.reduce((a, v) => a + v, 0));
      expect(Array.from(ti32.dataSync())).toEqual([1, -2, 3, round]);
      expect(Array.from(tb.dataSync())).toEqual([1, 0, 1, 1]);
      expect([tf32.dtype, ti32.dtype, tb.dtype]).toEqual(['float32', 'int32', 'bool']);
      expect([tf32.shape, ti32.shape]).toEqual([[64, 64], [2, 2]]);
      nx.dispose([tf32, ti32, tb, sum]);
    }
    // a view into a larger buffer: only its elements
    const whole = Float32Array.from([9, 1, 2, 3, 9]);
    const view = nx.fromArray(whole.subarray(1, 4), { copy: true });
    whole.fill(0);
    expect(Array.from(view.dataSync())).toEqual([1, 2, 3]);
    // an empty array
    const empty = nx.fromArray(new Float32Array(0), { shape: [0, 3], copy: true });
    expect(empty.shape).toEqual([0, 3]);
    nx.dispose([view, empty]);
    expect(() => nx.fromArray(new Float32Array(2), { copy: 'yes' as unknown as boolean })).toThrow(/nx\.fromArray: copy must be true or false, got yes/);
  });
});
