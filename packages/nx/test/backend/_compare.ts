/**
 * Helpers for the wasm-kernel tests: seeded data, running one computation on the cpu backend and
 * on wasm, comparing the results, and counting live tensors and data buffers.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { expect } from 'vitest';

/** Values, shape and dtype read back from a tensor. */
export interface Result {
  shape: number[];
  dtype: string;
  values: number[];
}

/** Deterministic pseudo-random numbers in [-1, 1) (a linear congruential generator). */
export function seeded(seed: number): (n: number) => number[] {
  let s = seed >>> 0;
  return (n) => Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const read = (t: tf.Tensor): Result => ({ shape: t.shape.slice(), dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<number>) });

function runOnce(fn: () => tf.Tensor | tf.Tensor[]): Result[] {
  const r = tf.tidy(fn);
  const ts = Array.isArray(r) ? r : [r];
  const out = ts.map(read);
  tf.dispose(ts);
  return out;
}

/** Runs `fn` on the cpu backend, then on wasm (tensors made inside `fn` belong to each run). */
export async function onCpuAndWasm(fn: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Result[]; wasm: Result[] }> {
  await nx.useBackend('cpu');
  let cpu: Result[];
  try {
    cpu = runOnce(fn);
  } finally {
    await nx.useBackend('wasm');
  }
  return { cpu, wasm: runOnce(fn) };
}

/** Expects equal shapes and dtypes and values within `tol` (relative above 1, absolute below). */
export function expectClose(actual: Result[], expected: Result[], tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    expect(a.shape, `output ${i} shape`).toEqual(e.shape);
    expect(a.dtype, `output ${i} dtype`).toBe(e.dtype);
    let worst = 0;
    let at = -1;
    a.values.forEach((v, j) => {
      const w = e.values[j]!;
      if (Number.isNaN(v) && Number.isNaN(w)) return;
      const err = Math.abs(v - w) / Math.max(1, Math.abs(w));
      if (!(err <= worst)) { worst = err; at = j; }
    });
    expect(worst, `output ${i} worst error at ${at}: ${a.values[at]} vs ${e.values[at]}`).toBeLessThanOrEqual(tol);
  });
}

/** Runs `fn` on both backends and expects the wasm result to match the cpu result. */
export async function expectWasmMatchesCpu(fn: () => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<Result[]> {
  const { cpu, wasm } = await onCpuAndWasm(fn);
  expectClose(wasm, cpu, tol);
  return wasm;
}

/**
 * Expects `fn`, run in a scope and its results freed, to leave the live tensor and data-buffer
 * counts flat (kernels hold backend data outside the engine's scopes, so a kernel that forgets
 * to free an intermediate shows in the data-buffer count).
 */
export function expectNoLeak(fn: () => tf.Tensor | tf.Tensor[], repeats = 3): void {
  tf.dispose(tf.tidy(fn)); // warm-up: lazily created state is not a leak
  const before = nx.memory();
  for (let i = 0; i < repeats; i++) tf.dispose(tf.tidy(fn));
  const after = nx.memory();
  expect(after.numTensors).toBe(before.numTensors);
  expect(after.numDataBuffers).toBe(before.numDataBuffers);
}

/** A float32 tensor of `shape` with seeded values. */
export function randn(rand: (n: number) => number[], shape: number[]): tf.Tensor {
  return tf.tensor(rand(shape.reduce((a, b) => a * b, 1)), shape, 'float32');
}
