import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';

describe('toArray, toTypedArray, item', () => {
  it('toArray gives nested arrays; numbers for float32/int32, booleans for bool, bare scalars', () => {
    nx.scope(() => {
      expect(nx.toArray(nx.fromArray([[1.5, 2], [3, 4]]))).toEqual([[1.5, 2], [3, 4]]);
      expect(nx.toArray(nx.reshape(nx.arange(8), [2, 2, 2]))).toEqual([[[0, 1], [2, 3]], [[4, 5], [6, 7]]]);
      expect(nx.toArray(nx.fromArray([true, false]))).toEqual([true, false]);
      expect(nx.toArray(nx.scalar(7))).toBe(7);
      expect(nx.toArray(nx.scalar(true))).toBe(true);
      expect(nx.toArray(nx.zeros([2, 0]))).toEqual([[], []]);
    });
  });

  it('fromArray(toArray(x)) round trips', () => {
    nx.scope(() => {
      const x = nx.fromArray([[[1, -2]], [[3.25, 4]]]);
      const y = nx.fromArray(nx.toArray(x));
      expect(y.shape).toEqual(x.shape);
      expect(nx.toArray(y)).toEqual(nx.toArray(x));
    });
  });

  it('toTypedArray returns a copy of the right type', () => {
    nx.scope(() => {
      const x = nx.fromArray([1, 2, 3]);
      const a = nx.toTypedArray(x);
      expect(a).toBeInstanceOf(Float32Array);
      a[0] = 99;
      expect(nx.toArray(x)).toEqual([1, 2, 3]);
      expect(nx.toTypedArray(nx.arange(3))).toBeInstanceOf(Int32Array);
      const b = nx.toTypedArray(nx.fromArray([true, false]));
      expect(b).toBeInstanceOf(Uint8Array);
      expect(Array.from(b)).toEqual([1, 0]);
    });
  });

  it('item reads a one-element tensor of any rank and refuses others naming the shape', () => {
    nx.scope(() => {
      expect(nx.item(nx.scalar(2.5))).toBe(2.5);
      expect(nx.item(nx.fromArray([[4]], { dtype: 'int32' }))).toBe(4);
      expect(nx.item(nx.fromArray([false]))).toBe(false);
      expect(() => nx.item(nx.zeros([2, 3]))).toThrow(nx.ValueError);
      expect(() => nx.item(nx.zeros([2, 3]))).toThrow(/nx\.item: expected a tensor with one element, got shape \[2, 3\] \(6 elements\)/);
    });
  });

  it('reading a disposed tensor is a clear error', () => {
    const x = nx.zeros([2]);
    x.dispose();
    expect(() => nx.toArray(x)).toThrow(/^nx\.toArray: argument x \(shape \[2\], dtype float32\) has been disposed\. /);
    expect(() => nx.item(x)).toThrow(/has been disposed/);
  });
});

describe('format', () => {
  it('prints small tensors like NumPy, with shape and dtype', () => {
    nx.scope(() => {
      expect(nx.format(nx.fromArray([[1, 2], [3, 4]]))).toBe('tensor([[1., 2.],\n        [3., 4.]], shape=[2, 2], dtype=float32)');
      expect(nx.format(nx.fromArray([[1, 2.5], [3, 4]]))).toBe('tensor([[1.0, 2.5],\n        [3.0, 4.0]], shape=[2, 2], dtype=float32)');
      expect(nx.format(nx.arange(4))).toBe('tensor([0, 1, 2, 3], shape=[4], dtype=int32)');
      expect(nx.format(nx.fromArray([true, false]))).toBe('tensor([ true, false], shape=[2], dtype=bool)');
      expect(nx.format(nx.scalar(3))).toBe('tensor(3., shape=[], dtype=float32)');
      expect(nx.format(nx.fromArray([-1, 10]))).toBe('tensor([-1., 10.], shape=[2], dtype=float32)');
      expect(nx.format(nx.fromArray([NaN, Infinity, -Infinity, 0.5]))).toBe('tensor([ nan,  inf, -inf,  0.5], shape=[4], dtype=float32)');
    });
  });

  it('shows float32 values with the fewest digits that read back exactly', () => {
    nx.scope(() => {
      expect(nx.format(nx.fromArray([0.1, 0.25]))).toBe('tensor([0.10, 0.25], shape=[2], dtype=float32)');
      expect(nx.format(nx.fromArray([1 / 3]))).toBe('tensor([0.33333334], shape=[1], dtype=float32)');
      expect(nx.format(nx.fromArray([1 / 3, 2]), { precision: 2 })).toBe('tensor([0.33, 2.00], shape=[2], dtype=float32)');
    });
  });

  it('switches to scientific notation for a wide range of magnitudes', () => {
    nx.scope(() => {
      expect(nx.format(nx.fromArray([1e-5, 1, 100]))).toBe('tensor([1.e-05, 1.e+00, 1.e+02], shape=[3], dtype=float32)');
      expect(nx.format(nx.fromArray([1.5e9, 2e9]))).toBe('tensor([1.5e+09, 2.0e+09], shape=[2], dtype=float32)');
    });
  });

  it('separates 3-d blocks with a blank line', () => {
    nx.scope(() => {
      const s = nx.format(nx.reshape(nx.arange(8), [2, 2, 2]));
      expect(s).toBe('tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], shape=[2, 2, 2], dtype=int32)');
    });
  });

  it('summarises more than threshold elements with edgeitems at each end', () => {
    nx.scope(() => {
      const s = nx.format(nx.arange(2000));
      expect(s).toBe('tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=int32)');
      const m = nx.format(nx.reshape(nx.arange(10000), [100, 100]), { edgeitems: 2 });
      const lines = m.split('\n');
      expect(lines).toEqual([
        'tensor([[   0,    1, ...,   98,   99],',
        '        [ 100,  101, ...,  198,  199],',
        '        ...,',
        '        [9800, 9801, ..., 9898, 9899],',
        '        [9900, 9901, ..., 9998, 9999]], shape=[100, 100], dtype=int32)',
      ]);
      // below the threshold nothing is elided
      expect(nx.format(nx.arange(10), { threshold: 20 })).not.toContain('...');
      expect(nx.format(nx.arange(10), { threshold: 5, edgeitems: 1 })).toBe('tensor([0, ..., 9], shape=[10], dtype=int32)');
    });
  });

  it('wraps long rows at linewidth', () => {
    nx.scope(() => {
      const s = nx.format(nx.arange(30), { linewidth: 40 });
      const lines = s.split('\n');
      expect(lines.length).toBeGreaterThan(1);
      // every row of numbers (not the trailer) fits in the width
      for (const l of lines.slice(0, -1)) expect(l.length).toBeLessThanOrEqual(40);
      expect(lines[1]!.startsWith('        ')).toBe(true);
      expect(s.replace(/\s+/g, ' ')).toContain('0, 1, 2, 3, 4, 5, 6, 7');
    });
  });
});
