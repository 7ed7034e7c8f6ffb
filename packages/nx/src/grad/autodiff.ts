/**
 * Reverse-mode autodiff over lists of tensors: grad, valueAndGrad (with auxiliary outputs),
 * stopGradient. Built on the TF.js tape; every nx operation is differentiable where TF.js is.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { dispose } from '../ops/memory.js';

function checkInputs(op: string, xs: Tensor[]): void {
  xs.forEach((x, i) => {
    if (!(x instanceof tf.Tensor)) throw new DTypeError(`nx.${op}: argument ${i} is not a tensor`);
    if (x.dtype !== 'float32') throw new DTypeError(`nx.${op}: argument ${i} has dtype ${x.dtype}; gradients are taken with respect to float32 tensors`);
  });
}

function checkScalar(op: string, y: Tensor): void {
  if (!(y instanceof tf.Tensor) || y.rank !== 0) {
    throw new ShapeError(`nx.${op}: the function must return a scalar tensor (a loss), got ${y instanceof tf.Tensor ? `shape [${y.shape.join(', ')}]` : typeof y}`);
  }
}

function collectTensors(v: unknown, out: Tensor[]): void {
  if (v instanceof tf.Tensor) out.push(v);
  else if (Array.isArray(v)) for (const e of v) collectTensors(e, out);
  else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const e of Object.values(v)) collectTensors(e, out);
}

/** Rebuilds `v` with every tensor replaced by `f(tensor)`. */
function mapTensors(v: unknown, f: (t: Tensor) => Tensor): unknown {
  if (v instanceof tf.Tensor) return f(v);
  if (Array.isArray(v)) return v.map((e) => mapTensors(e, f));
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, mapTensors(e, f)]));
  }
  return v;
}

/** The result of {@link valueAndGrad}: the function's value, one gradient per argument, and its auxiliary output. */
export interface ValueAndGrad<A> {
  /** The scalar value of the function. */
  value: Tensor;
  /** `d value / d xs[i]`, one per argument, each with its argument's shape. */
  grads: Tensor[];
  /** What the function returned beside its value (`undefined` without `hasAux`). */
  aux: A;
}

/** A function of tensors that returns a scalar. */
export type ScalarFn = (...xs: Tensor[]) => Tensor;
/** A function of tensors that returns a scalar and auxiliary outputs (tensors in it are kept). */
export type ScalarAuxFn<A> = (...xs: Tensor[]) => [Tensor, A];

/**
 * Value and gradient of a scalar function with respect to every argument.
 * With `{hasAux: true}` the function returns `[value, aux]`; `aux` may hold tensors (nested in
 * arrays and objects), which survive and are returned (no gradient flows through them).
 * Intermediates are freed; the caller owns `value`, `grads` and `aux`.
 * @throws DTypeError for non-float32 arguments; ShapeError if the value is not a scalar.
 * @example
 * ```ts
 * const f = nx.valueAndGrad((w: nx.Tensor) => nx.sum(nx.mul(w, w)));
 * const { value, grads } = f(nx.fromArray([1, 2])); // value 5, grads [[2, 4]]
 * ```
 */
export function valueAndGrad(f: ScalarFn): (...xs: Tensor[]) => ValueAndGrad<undefined>;
export function valueAndGrad<A>(f: ScalarAuxFn<A>, options: { hasAux: true }): (...xs: Tensor[]) => ValueAndGrad<A>;
export function valueAndGrad<A>(f: ScalarFn | ScalarAuxFn<A>, options: { hasAux?: boolean } = {}): (...xs: Tensor[]) => ValueAndGrad<A | undefined> {
  return (...xs: Tensor[]) => {
    checkInputs('valueAndGrad', xs);
    let aux: unknown;
    const kept: Tensor[] = [];
    const wrapped = (...args: Tensor[]): Tensor => {
      const r = (f as (...a: Tensor[]) => Tensor | [Tensor, A])(...args);
      if (options.hasAux) {
        if (!Array.isArray(r) || r.length !== 2) throw new ShapeError('nx.valueAndGrad: with hasAux the function must return [value, aux]');
        aux = r[1];
        collectTensors(aux, kept);
        for (const t of kept) tf.keep(t);
        checkScalar('valueAndGrad', r[0]);
        return r[0];
      }
      checkScalar('valueAndGrad', r as Tensor);
      return r as Tensor;
    };
    const { value, grads } = tf.valueAndGrads(wrapped)(xs);
    let auxOut = aux;
    if (kept.length > 0) {
      // aux tensors were kept past the tape's scope; hand back fresh copies owned by the caller's scope
      const keptSet = new Set(kept);
      auxOut = mapTensors(aux, (t) => (keptSet.has(t) ? tf.clone(t) : t));
      dispose(kept.filter((t) => !xs.includes(t)));
    }
    return { value, grads, aux: auxOut as A | undefined };
  };
}

/**
 * Gradient of a scalar function with respect to every argument.
 * @returns a function giving one gradient per argument.
 * @example `nx.grad((x) => nx.sum(nx.square(x)))(x)[0]` is `2x`.
 */
export function grad(f: ScalarFn): (...xs: Tensor[]) => Tensor[] {
  const vg = valueAndGrad(f);
  return (...xs: Tensor[]) => {
    const { value, grads } = vg(...xs);
    value.dispose();
    return grads;
  };
}

const stopGradientOp = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: Tensor) => Tensor;

/** The same values as `x`, with no gradient flowing back through it (JAX's `stop_gradient`). */
export function stopGradient(x: Tensor): Tensor {
  if (x.dtype !== 'float32') return tf.clone(x);
  return stopGradientOp(x);
}
