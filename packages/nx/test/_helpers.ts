/**
 * Shared helpers for the nx tests: reading tensors back, closeness checks, small reference
 * implementations (row-major indexing, NumPy broadcasting) written independently of nx.
 */
import { expect } from 'vitest';
import * as nx from '@raven/nx';

/** Flat values of a tensor as plain numbers (bool as 0/1). */
export function values(t: nx.Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number>);
}

/** Asserts shape and values (within `tol`, NaN equal to NaN) and returns nothing. */
export function expectTensor(t: nx.Tensor, shape: number[], expected: number[], tol = 1e-5): void {
  expect(t.shape).toEqual(shape);
  const got = values(t);
  expect(got.length).toBe(expected.length);
  got.forEach((g, i) => {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(g, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(e)) expect(g, `element ${i}`).toBe(e);
    else expect(Math.abs(g - e), `element ${i}: got ${g}, expected ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  });
}

/** Product of a shape. */
export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides. */
export function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Multi-index of flat position `k` in `shape`. */
export function unravel(k: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = k % shape[i]!;
    k = Math.floor(k / shape[i]!);
  }
  return idx;
}

/** NumPy broadcast shape, or null when the shapes do not broadcast. */
export function broadcastShape(a: number[], b: number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y) === 1 ? 1 : x === 1 ? y : x);
  }
  return out;
}

/** Reads `data` (row-major, `shape`) at an output multi-index under broadcasting. */
export function broadcastRead(data: ArrayLike<number>, shape: number[], outIdx: number[]): number {
  const off = outIdx.length - shape.length;
  const st = stridesOf(shape);
  let k = 0;
  shape.forEach((d, i) => { k += (d === 1 ? 0 : outIdx[off + i]!) * st[i]!; });
  return data[k]!;
}

/** Deterministic numbers in [-1, 1) from a small LCG (test data independent of nx.random). */
export function lcg(seed: number): (n: number) => number[] {
  let s = seed >>> 0;
  return (n) => Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** A float32 tensor of LCG numbers with the given shape. */
export function randomTensor(shape: number[], seed = 1): nx.Tensor {
  return nx.fromArray(new Float32Array(lcg(seed)(sizeOf(shape))), { shape });
}
