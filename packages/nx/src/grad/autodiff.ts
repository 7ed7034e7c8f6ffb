/**
 * Reverse-mode autodiff over lists of tensors: grad, valueAndGrad (with auxiliary outputs),
 * stopGradient. Built on the TF.js tape; every nx operation is differentiable where TF.js is.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, ShapeError } from '../errors.js';
import { checkOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { dispose } from '../ops/memory.js';
import { registerZeroGradients } from './zero-gradients.js';
import { registerProdGradient } from './prod-gradient.js';
import { registerReluGradient } from './relu-gradient.js';
import { registerSparseXentGradient } from './sparse-xent-gradient.js';

registerZeroGradients();
registerProdGradient();
registerReluGradient();
registerSparseXentGradient();

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
 * An argument the value does not depend on gets a zero gradient (as JAX), not an error.
 * Intermediates are freed; the caller owns `value`, `grads` and `aux`.
 * @throws DTypeError for non-float32 arguments; ShapeError if the value is not a scalar or, with
 *   `hasAux`, the function does not return a `[value, aux]` pair.
 * @example
 * ```ts
 * const f = nx.valueAndGrad((w: nx.Tensor) => nx.sum(nx.mul(w, w)));
 * const { value, grads } = f(nx.fromArray([1, 2])); // value 5, grads [[2, 4]]
 * ```
 */
export function valueAndGrad(f: ScalarFn): (...xs: Tensor[]) => ValueAndGrad<undefined>;
export function valueAndGrad<A>(f: ScalarAuxFn<A>, options: { hasAux: true }): (...xs: Tensor[]) => ValueAndGrad<A>;
export function valueAndGrad<A>(f: ScalarFn | ScalarAuxFn<A>, options: { hasAux?: boolean } = {}): (...xs: Tensor[]) => ValueAndGrad<A | undefined> {
  checkOptions('nx.valueAndGrad', options, ['hasAux']);
  return (...xs: Tensor[]) => {
    checkInputs('valueAndGrad', xs);
    if (xs.length === 0) throw new ShapeError('nx.valueAndGrad: needs at least one tensor argument to differentiate with respect to');
    let aux: unknown;
    const kept: Tensor[] = [];
    const wrapped = (): Tensor => {
      // tensors with an id above this one were created by f (ids only grow)
      const mark = tf.scalar(0).id;
      const r = (f as (...a: Tensor[]) => Tensor | [Tensor, A])(...xs);
      if (options.hasAux) {
        if (!Array.isArray(r) || r.length !== 2) throw new ShapeError('nx.valueAndGrad: with hasAux the function must return [value, aux]');
        checkScalar('valueAndGrad', r[0]);
        aux = r[1];
        const found: Tensor[] = [];
        collectTensors(aux, found);
        // keep aux tensors made inside f past the forward scope; the value survives it anyway
        for (const t of new Set(found)) {
          if (t.id > mark && t !== r[0]) kept.push(tf.keep(t));
        }
        return r[0];
      }
      checkScalar('valueAndGrad', r as Tensor);
      return r as Tensor;
    };
    let value: Tensor;
    let raw: Array<Tensor | undefined>;
    registerReluGradient(); // again if the TF.js that tfjs-node loads replaced it
    try {
      ({ value, grads: raw } = tf.engine().gradients(wrapped, xs, undefined, true) as { value: Tensor; grads: Array<Tensor | undefined> });
    } catch (e) {
      dispose(kept);
      throw e;
    }
    const grads = raw.map((g, i) => g ?? tf.zerosLike(xs[i]!));
    let auxOut = aux;
    if (kept.length > 0) {
      // kept tensors escape every scope: hand back fresh copies owned by the caller's scope
      const keptSet = new Set(kept);
      const copies = new Map<Tensor, Tensor>();
      auxOut = mapTensors(aux, (t) => {
        if (!keptSet.has(t)) return t;
        if (!copies.has(t)) copies.set(t, tf.clone(t));
        return copies.get(t)!;
      });
      dispose(kept);
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
