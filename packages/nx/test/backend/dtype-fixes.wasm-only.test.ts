/**
 * Wasm kernels that TF.js gets wrong for some dtypes (Cast to bool, Reverse of bool, OneHot,
 * StridedSlice, Cumsum of bool, Select of bool, ClipByValue of int32, int32 division by zero),
 * checked against values written out and against the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, expectWasmMatchesCpu, seeded } from './_compare.js';

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>);

describe('wasm dtype fixes', () => {
  it('Cast to bool is x != 0 (NaN is true)', async () => {
    const out = await expectWasmMatchesCpu(() => [
      tf.cast(tf.tensor([0.5, -0.5, 0, -0, NaN, 256, -2, 3e9]), 'bool'),
      tf.cast(tf.tensor([1, 0, -3, 256], undefined, 'int32'), 'bool'),
      tf.cast(tf.tensor([2.7, -2.7, 0.2]), 'int32'),
    ]);
    expect(out[0]!.values).toEqual([1, 1, 0, 0, 1, 1, 1, 1]);
    expect(out[1]!.values).toEqual([1, 0, 1, 1]);
    expect(out[2]!.values).toEqual([2, -2, 0]);
  });

  it('Reverse of bool keeps the values (and the heap intact)', async () => {
    const out = await expectWasmMatchesCpu(() => {
      const b = tf.tensor3d([1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0], [2, 3, 2], 'bool');
      return [tf.reverse(b, [0]), tf.reverse(b, [1, 2]), tf.reverse(tf.tensor1d([1, 0, 0], 'bool'), 0)];
    });
    expect(out[0]!.values).toEqual([0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1]);
    expect(out[2]!.values).toEqual([0, 0, 1]);
  });

  it('OneHot gives the requested dtype', async () => {
    const out = await expectWasmMatchesCpu(() => {
      const i = tf.tensor1d([0, 2, -1], 'int32');
      return [tf.oneHot(i, 3, 5, -1, 'float32'), tf.oneHot(i, 3, 5, -1, 'int32'), tf.oneHot(i, 3)];
    });
    expect(out[0]!.values).toEqual([5, -1, -1, -1, -1, 5, -1, -1, -1]);
    const b = tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3, 1, 0, 'bool');
    expect(b.dtype).toBe('bool');
    expect(values(b)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    b.dispose();
  });

  it('StridedSlice with steps keeps the dtype and picks the elements NumPy would', async () => {
    // x[4:0:-2, ::2] of a 5x6 arange, as int32, float32 and bool
    const expected = [24, 26, 28, 12, 14, 16];
    const out = await expectWasmMatchesCpu(() => {
      const x = tf.reshape(tf.range(0, 30, 1, 'int32'), [5, 6]);
      return [
        tf.stridedSlice(x, [4, 0], [0, 6], [-2, 2]),
        tf.stridedSlice(tf.cast(x, 'float32'), [4, 0], [0, 6], [-2, 2]),
        tf.stridedSlice(tf.greater(x, 13), [4, 0], [0, 6], [-2, 2]),
      ];
    });
    expect(out[0]!).toMatchObject({ dtype: 'int32', values: expected, shape: [2, 3] });
    expect(out[1]!).toMatchObject({ dtype: 'float32', values: expected });
    expect(out[2]!).toMatchObject({ dtype: 'bool', values: expected.map((v) => (v > 13 ? 1 : 0)) });
  });

  it('StridedSlice with a shrunk axis and a step picks x[:, 1, ::2] (where TF.js cpu does not)', () => {
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3], 'int32');
    const y = tf.stridedSlice(x, [0, 1, 0], [2, 2, 3], [1, 1, 2], 0, 0, 0, 0, 2);
    expect(y.shape).toEqual([2, 2]);
    expect(values(y)).toEqual([4, 6, 10, 12]);
    const z = tf.stridedSlice(tf.cast(x, 'float32'), [0, 1, 0], [2, 2, 3], [1, 1, 2], 0, 0, 0, 0, 2);
    expect(values(z)).toEqual([4, 6, 10, 12]);
    tf.dispose([x, y, z]);
  });

  it('Cumsum of bool counts as int32', async () => {
    const out = await expectWasmMatchesCpu(() => [tf.cumsum(tf.tensor1d([1, 0, 1, 1], 'bool')), tf.cumsum(tf.tensor1d([1, 0, 1, 1], 'bool'), 0, true, true)]);
    expect(out[0]).toMatchObject({ dtype: 'int32', values: [1, 1, 2, 3] });
    expect(out[1]!.values).toEqual([2, 2, 1, 0]);
  });

  it('Select with bool branches', async () => {
    const out = await expectWasmMatchesCpu(() => {
      const c = tf.tensor1d([1, 0, 1, 0, 1, 1, 0], 'bool');
      return [tf.where(c, tf.tensor1d([1, 1, 0, 0, 1, 0, 1], 'bool'), tf.tensor1d([0, 1, 1, 0, 0, 0, 0], 'bool')), tf.where(c, tf.range(0, 7, 1, 'int32'), tf.fill([7], -1, 'int32'))];
    });
    expect(out[0]!.values).toEqual([1, 1, 0, 0, 1, 0, 0]);
    expect(out[1]!.values).toEqual([0, -1, 2, -1, 4, 5, -1]);
  });

  it('ClipByValue of int32', async () => {
    const out = await expectWasmMatchesCpu(() => tf.clipByValue(tf.tensor1d([-5, 0, 3, 9], 'int32'), -1, 4));
    expect(out[0]).toMatchObject({ dtype: 'int32', values: [-1, 0, 3, 4] });
  });

  it('int32 Mod and FloorDiv by zero give 0 (as cpu) instead of trapping', async () => {
    const out = await expectWasmMatchesCpu(() => {
      const a = tf.tensor1d([7, -7, 7, -7, 5], 'int32');
      const b = tf.tensor1d([2, 2, -2, -2, 0], 'int32');
      return [tf.mod(a, b), tf.floorDiv(a, b), tf.mod(a, tf.scalar(0, 'int32'))];
    });
    // floor semantics: 7 mod 2 = 1, -7 mod 2 = 1, 7 mod -2 = -1, -7 mod -2 = -1
    expect(out[0]!.values).toEqual([1, 1, -1, -1, 0]);
    expect(out[1]!.values).toEqual([3, -4, -4, 3, 0]);
    expect(out[2]!.values).toEqual([0, 0, 0, 0, 0]);
  });

  it('leaves the heap usable and does not leak', () => {
    const rand = seeded(1);
    const x = tf.tensor(rand(24), [2, 3, 4]);
    const b = tf.greater(x, 0);
    expectNoLeak(() => [
      tf.cast(x, 'bool'), tf.reverse(b, [1]), tf.oneHot(tf.tensor1d([1, 2], 'int32'), 3, 1, 0, 'float32'),
      tf.stridedSlice(b, [0, 0, 0], [2, 3, 4], [1, 2, 2]), tf.cumsum(tf.reshape(b, [24])), tf.where(b, b, tf.logicalNot(b)),
      tf.clipByValue(tf.cast(x, 'int32'), 0, 1), tf.mod(tf.tensor1d([3], 'int32'), tf.tensor1d([0], 'int32')),
    ]);
    tf.dispose([x, b]);
  });
});
