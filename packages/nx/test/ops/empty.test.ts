/**
 * Tensors with no elements, on every backend (this file runs in the nx-wasm and nx-cpu
 * projects): reductions give NumPy's answers (sum 0, prod 1, mean NaN, max an error, ...), never
 * leftover memory, and shape operations give NumPy's shapes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as nx from '@raven/nx';

interface Case { op: string; shape: number[]; axis: number | number[] | null; keepDims: boolean; result: { shape: number[]; values: Array<number | boolean | string> } | { error: true } }
const fixture = JSON.parse(readFileSync(new URL('./fixtures/empty-reductions.json', import.meta.url), 'utf8')) as { numpy: string; cases: Case[] };

type Reduce = (x: nx.Tensor, o?: { axis?: number | number[]; keepDims?: boolean }) => nx.Tensor;
const REDUCTIONS: Record<string, Reduce> = {
  sum: nx.sum, prod: nx.prod, mean: nx.mean, max: nx.max, min: nx.min, variance: nx.variance, std: nx.std,
  all: nx.all, any: nx.any, logsumexp: nx.logsumexp,
  argmax: (x, o) => nx.argmax(x, o as { axis?: number; keepDims?: boolean }),
  argmin: (x, o) => nx.argmin(x, o as { axis?: number; keepDims?: boolean }),
};
const decode = (v: number | boolean | string) => (v === 'nan' ? Number.NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
const same = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' ? Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) : a === b);

function run(f: Reduce, x: nx.Tensor, axis: number | number[] | null, keepDims: boolean): { shape: number[]; values: unknown[] } | { error: unknown } {
  try {
    const t = f(x, axis === null ? { keepDims } : { axis, keepDims });
    const out = { shape: [...t.shape], values: Array.from(nx.toTypedArray(t), (v) => (t.dtype === 'bool' ? v === 1 : v)) };
    nx.dispose(t);
    return out;
  } catch (error) {
    return { error };
  }
}

describe(`reductions over no elements match NumPy ${fixture.numpy} (${fixture.cases.length} cases)`, () => {
  it('shape, values and errors of every case, for float32 and int32 input', () => {
    const before = nx.memory().numTensors;
    for (const c of fixture.cases) {
      for (const dtype of ['float32', 'int32'] as const) {
        const x = nx.zeros(c.shape, dtype);
        const got = run(REDUCTIONS[c.op]!, x, c.axis, c.keepDims);
        nx.dispose(x);
        const label = `${c.op}(${dtype} [${c.shape}], axis ${JSON.stringify(c.axis)}, keepDims ${c.keepDims})`;
        if ('error' in c.result) {
          expect('error' in got, label).toBe(true);
          expect((got as { error: unknown }).error, label).toBeInstanceOf(nx.ValueError);
          expect(((got as { error: Error }).error).message, label).toMatch(/no elements|empty/);
        } else {
          expect(got, label).not.toHaveProperty('error');
          const r = got as { shape: number[]; values: unknown[] };
          expect(r.shape, label).toEqual(c.result.shape);
          const want = c.result.values.map(decode);
          expect(r.values.length, label).toBe(want.length);
          r.values.forEach((v, i) => expect(same(v, want[i]), `${label}[${i}]: ${String(v)} vs ${String(want[i])}`).toBe(true));
        }
      }
    }
    expect(nx.memory().numTensors).toBe(before);
  });

  it('dtypes: sum and prod keep int32, mean and variance are float32, all and any bool, argmax int32', () => {
    const i = nx.zeros([0], 'int32');
    expect([nx.sum(i).dtype, nx.prod(i).dtype, nx.mean(i).dtype, nx.variance(i).dtype, nx.all(i).dtype, nx.any(i).dtype]).toEqual(['int32', 'int32', 'float32', 'float32', 'bool', 'bool']);
    expect(nx.argmax(nx.zeros([0, 2]), { axis: 1 }).dtype).toBe('int32');
    expect(nx.sum(nx.zeros([0], 'bool')).dtype).toBe('int32');
  });
});

// Zero-sized shapes of rank 1..4 with at least one 0 axis.
const emptyShape = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }).filter((s) => s.includes(0));
const withAxes = emptyShape.chain((shape) => fc.record({
  shape: fc.constant(shape),
  axis: fc.oneof(fc.constant(null), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.uniqueArray(fc.integer({ min: 0, max: shape.length - 1 }), { minLength: 1, maxLength: shape.length })),
  keepDims: fc.boolean(),
  dtype: fc.constantFrom<nx.DType>('float32', 'int32', 'bool'),
}));

/** NumPy's rule, written out: the reduced shape, and the value or an error. */
function numpyRule(op: string, shape: number[], axis: number | number[] | null, keepDims: boolean): { shape: number[]; value: unknown } | 'error' {
  const axes = axis === null ? shape.map((_, i) => i) : (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + shape.length : a));
  const out = keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
  const value = ({ sum: 0, prod: 1, mean: NaN, variance: NaN, std: NaN, logsumexp: -Infinity, all: true, any: false } as Record<string, unknown>)[op];
  const reduced = axes.reduce((n, a) => n * shape[a]!, 1);
  if (value === undefined) return reduced === 0 ? 'error' : { shape: out, value: 0 }; // no identity: an error over no element
  return { shape: out, value };
}

describe('reductions over zero-sized shapes (fast-check)', () => {
  it('every reduction, any axes, keepDims, dtype: NumPy\'s shape and value, or a ValueError where there is no identity', () => {
    fc.assert(fc.property(withAxes, fc.constantFrom(...Object.keys(REDUCTIONS)), ({ shape, axis, keepDims, dtype }, op) => {
      if (op.startsWith('arg') && Array.isArray(axis)) return; // one axis only
      const x = nx.zeros(shape, dtype);
      const got = run(REDUCTIONS[op]!, x, axis, keepDims);
      nx.dispose(x);
      const want = numpyRule(op, shape, axis, keepDims);
      if (want === 'error') {
        expect(got).toHaveProperty('error');
        expect((got as { error: unknown }).error).toBeInstanceOf(nx.ValueError);
        return;
      }
      expect(got).not.toHaveProperty('error');
      const r = got as { shape: number[]; values: unknown[] };
      expect(r.shape).toEqual(want.shape);
      for (const v of r.values) expect(same(v, want.value), `${op} ${String(v)} vs ${String(want.value)}`).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('shape operations over zero-sized shapes (fast-check)', () => {
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

  it('reshape, transpose, expandDims/squeeze, flip, tile, broadcastTo, stack, split give NumPy\'s shapes', () => {
    fc.assert(fc.property(emptyShape, fc.integer({ min: 0, max: 1000 }), (shape, seed) => {
      const rank = shape.length;
      const perm = [...shape.keys()].sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
      const x = nx.zeros(shape);
      const check = (t: nx.Tensor, want: number[]) => { expect([...t.shape]).toEqual(want); expect(t.size).toBe(prod(want)); };
      nx.scope(() => {
        check(nx.reshape(x, perm.map((p) => shape[p]!)), perm.map((p) => shape[p]!));
        check(nx.transpose(x, perm), perm.map((p) => shape[p]!));
        const at = seed % (rank + 1);
        const expanded = nx.expandDims(x, at);
        check(expanded, [...shape.slice(0, at), 1, ...shape.slice(at)]);
        check(nx.squeeze(expanded, { axis: at }), shape);
        check(nx.flip(x, { axis: seed % rank }), shape);
        const reps = shape.map((_, i) => (seed >> i) % 3);
        check(nx.tile(x, reps), shape.map((d, i) => d * reps[i]!));
        check(nx.broadcastTo(nx.ones(shape.map((d) => (d === 0 ? 1 : d))), shape), shape);
        check(nx.broadcastTo(x, [2, ...shape]), [2, ...shape]);
        check(nx.stack([x, x], { axis: at }), [...shape.slice(0, at), 2, ...shape.slice(at)]);
        const zeroAxis = shape.indexOf(0);
        for (const part of nx.split(x, 1, { axis: zeroAxis })) check(part, shape);
      });
      nx.dispose(x);
    }), { numRuns: 200 });
  });

  it('concatenate with an empty part, pad, elementwise broadcasting: values come only from the non-empty inputs', () => {
    fc.assert(fc.property(emptyShape, fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: 4, maxLength: 4 }), fc.float({ noNaN: true, min: -5, max: 5 }), (shape, widths, value) => {
      const zeroAxis = shape.indexOf(0);
      const x = nx.zeros(shape);
      nx.scope(() => {
        const other = shape.map((d, i) => (i === zeroAxis ? 2 : d));
        const filled = nx.add(nx.zeros(other), 3);
        const cat = nx.concatenate([x, filled, x], { axis: zeroAxis });
        expect([...cat.shape]).toEqual(other);
        expect(Array.from(nx.toTypedArray(cat)).every((v) => v === 3)).toBe(true);
        const w = shape.map((d, i) => (d === 0 ? [0, 0] : widths[i]!) as [number, number]);
        const padded = nx.pad(x, w, value);
        expect([...padded.shape]).toEqual(shape.map((d, i) => d + w[i]![0] + w[i]![1]));
        expect(Array.from(nx.toTypedArray(padded)).every((v) => v === Math.fround(value))).toBe(true);
        const sum = nx.add(nx.ones(shape.map(() => 1)), x);
        expect([...sum.shape]).toEqual(shape);
        expect([...nx.where(nx.ones(shape.map(() => 1), 'bool'), x, 1).shape]).toEqual(shape);
      });
      nx.dispose(x);
    }), { numRuns: 150 });
  });

  it('pad in reflect or symmetric mode cannot extend an empty axis (a ValueError, as NumPy)', () => {
    expect(() => nx.pad(nx.zeros([0, 3]), [[1, 1], [0, 0]], 0, 'reflect')).toThrow(/cannot extend the empty axis 0 of \[0, 3\] in mode reflect/);
    expect([...nx.pad(nx.zeros([2, 0]), [[1, 0], [0, 0]], 0, 'reflect').shape]).toEqual([3, 0]);
    expect(() => nx.pad(nx.ones([2, 3]), [[2, 0], [0, 0]], 0, 'reflect')).toThrow(/too wide for mode reflect \(at most 1\)/);
  });
});

describe('products over a contracted length of 0 are zeros (not leftover memory)', () => {
  it('matmul, dot, linear, einsum', () => {
    const zeros = (t: nx.Tensor, shape: number[]) => { expect([...t.shape]).toEqual(shape); expect(Array.from(nx.toTypedArray(t)).every((v) => v === 0)).toBe(true); };
    nx.scope(() => {
      zeros(nx.matmul(nx.ones([2, 0]), nx.ones([0, 3])), [2, 3]);
      zeros(nx.matmul(nx.ones([4, 2, 0]), nx.ones([0, 3])), [4, 2, 3]);
      zeros(nx.matmul(nx.ones([4, 2, 0]), nx.ones([4, 0, 3])), [4, 2, 3]);
      zeros(nx.matmul(nx.ones([0]), nx.ones([0, 3])), [3]);
      zeros(nx.dot(nx.ones([0]), nx.ones([0])), []);
      zeros(nx.dot(nx.ones([2, 0]), nx.ones([3, 0, 4])), [2, 3, 4]);
      const y = nx.linear(nx.ones([2, 0]), nx.ones([3, 0]), nx.fromArray([1, 2, 3]));
      expect(nx.toArray(y)).toEqual([[1, 2, 3], [1, 2, 3]]);
      zeros(nx.linear(nx.ones([5, 2, 0]), nx.ones([3, 0])), [5, 2, 3]);
      zeros(nx.einsum('ij,jk->ik', nx.ones([2, 0]), nx.ones([0, 3])), [2, 3]);
      zeros(nx.einsum('ii->', nx.ones([0, 0])), []);
      zeros(nx.einsum('ij->i', nx.ones([3, 0])), [3]);
    });
  });
});
