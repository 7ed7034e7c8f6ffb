/**
 * Memory management. TF.js tensors hold memory until disposed: run work in {@link scope} (every
 * tensor created inside and not returned is freed), or free tensors with {@link dispose}.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../tensor.js';

/** A value `scope` can return: tensors, nested in arrays and plain objects, are kept. */
export type Scoped = Tensor | void | number | string | boolean | null | undefined | readonly Scoped[] | { readonly [key: string]: Scoped };

/**
 * Runs `fn` and frees every tensor it created except those in its result (tensors nested in
 * arrays and objects are found). Nested scopes work. Like `tf.tidy`; `fn` must not be async.
 * @example
 * ```ts
 * const y = nx.scope(() => nx.sum(nx.mul(x, x))); // the product is freed, the sum kept
 * ```
 */
export function scope<T>(fn: () => T): T {
  // tf.tidy only tracks tensors in its TensorContainer type; our Scoped type is the same shape.
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}

/** Frees tensors: one, or all tensors found in arrays and objects. Safe to call twice. */
export function dispose(x: unknown): void {
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof tf.Tensor) { if (!v.isDisposed) v.dispose(); return; }
    if (Array.isArray(v)) { for (const e of v) walk(e); return; }
    if (Object.getPrototypeOf(v) === Object.prototype) for (const e of Object.values(v)) walk(e);
  };
  walk(x);
}

/** Keeps a tensor alive past the enclosing {@link scope}; returns it. */
export function keep<T extends Tensor>(x: T): T {
  return tf.keep(x);
}

/** Live-memory figures: tensors alive, bytes held, data buffers. */
export interface MemoryInfo {
  /** Number of live tensors. */
  numTensors: number;
  /** Bytes held by live tensors' data. */
  numBytes: number;
  /** Number of distinct data buffers. */
  numDataBuffers: number;
}

/** How many tensors are alive and how many bytes they hold. A loop that does not leak keeps `numTensors` flat. */
export function memory(): MemoryInfo {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes, numDataBuffers: m.numDataBuffers };
}

/** Copies a tensor (a new tensor sharing nothing with `x`'s lifetime). */
export function copy(x: Tensor): Tensor {
  return tf.clone(x);
}
