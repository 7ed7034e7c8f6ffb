/**
 * Work on the host that `nx.jit` must repeat at every call rather than bake into a graph:
 * {@link hostScalar}, scalars computed from scalars whose values the host knows (step counters,
 * and the learning rates, bias corrections and schedules computed from them), and
 * {@link hostCheck}, validations of an argument's values (class labels in range), and
 * {@link hostStatic}, host decisions and constants from host-known scalars (a branch taken every
 * k-th step, a learning rate a callback changes), which become part of a trace's signature.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '../errors.js';
import type { Tensor, TypedArray } from '../tensor.js';
import { activeTrace } from './hooks.js';

const known = new WeakMap<Tensor, number>();

/** The host value of a scalar made by {@link hostScalar}, if this process made it. @internal */
export function knownHostValue(t: Tensor): number | undefined {
  return known.get(t);
}

/** Remembers the host value of a scalar tensor. @internal */
export function rememberHostValue(t: Tensor, value: number): void {
  known.set(t, value);
}

/**
 * The host value of a scalar tensor: remembered when {@link hostScalar} made it, else read from
 * the device once (e.g. a step count loaded from a checkpoint) and remembered. @internal
 */
export function hostValueOf(where: string, t: Tensor, read: (t: Tensor) => number = (x) => Number(x.dataSync()[0])): number {
  if (!(t instanceof tf.Tensor) || t.size !== 1) {
    throw new ShapeError(`${where}: expected a one-element tensor, got ${t instanceof tf.Tensor ? `shape [${t.shape.join(', ')}]` : typeof t}`);
  }
  let v = known.get(t);
  if (v === undefined) {
    v = read(t);
    known.set(t, v);
  }
  return v;
}

/** Makes the scalar tensor of a host value and remembers the value. @internal */
export function makeHostScalar(where: string, value: number, dtype: 'float32' | 'int32'): Tensor {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ValueError(`${where}: the function returned ${String(value)}, not a number`);
  if (dtype === 'int32' && !Number.isInteger(value)) throw new ValueError(`${where}: the function returned ${value}, not an integer, for an int32 scalar`);
  const t = tf.scalar(value, dtype);
  known.set(t, value);
  return t;
}

/**
 * A scalar computed on the host, `f(values of inputs)`, from scalar tensors whose values the host
 * knows (step counts): the value of an input made by `hostScalar` is remembered, any other is
 * read from the device once and remembered. Eagerly it is host arithmetic in double precision
 * and one upload. Inside {@link jit} it is an input of the graph that is recomputed on the host at
 * every call from that call's inputs (so a step count advances), not a constant of the trace; an
 * input computed by the traced function itself is a {@link TraceError} there.
 * @param inputs - scalar tensors (one element each); may be empty.
 * @param f - computes the value; called with one number per input. It may throw to reject a value.
 * @param dtype - `float32` (default) or `int32` (the value must then be an integer).
 * @returns a new scalar tensor.
 * @throws ShapeError for an input with more than one element; ValueError when `f` returns a
 *   non-number (or a non-integer for int32).
 * @example
 * ```ts
 * const count = nx.hostScalar([], () => 0, 'int32');
 * const next = nx.hostScalar([count], (c) => c + 1, 'int32');        // 1
 * const lr = nx.hostScalar([count], (c) => 1e-3 * Math.min(1, (c + 1) / 100)); // warmup
 * ```
 */
export function hostScalar(inputs: readonly Tensor[], f: (...values: number[]) => number, dtype: 'float32' | 'int32' = 'float32'): Tensor {
  const where = 'nx.hostScalar';
  if (!Array.isArray(inputs)) throw new ValueError(`${where}: inputs must be an array of scalar tensors`);
  if (typeof f !== 'function') throw new ValueError(`${where}: f must be a function of the input values`);
  if (dtype !== 'float32' && dtype !== 'int32') throw new ValueError(`${where}: dtype must be 'float32' or 'int32', got ${String(dtype)}`);
  const trace = activeTrace();
  if (trace) return trace.hostScalar(inputs, f, dtype);
  const values = inputs.map((t) => hostValueOf(where, t));
  return makeHostScalar(where, f(...values), dtype);
}

/**
 * Runs `check` on the values of `t` on the host (a validation that throws, e.g. class ids out of
 * range). Eagerly it reads `t` and runs the check now. Inside {@link jit}: for a tensor argument
 * of the traced function the check runs now and again before every call of the graph, on that
 * call's argument; for a constant it runs now; for a value the traced function computes it
 * cannot run (the value is not known before the graph runs) and is skipped.
 * @param t - the tensor whose values are checked (read with `dataSync`: keep it small).
 * @param check - called with the values; throws to reject them.
 * @returns whether the check ran now on the values this computation uses, so that results of
 *   the check (counts) may be used as constants; `false` inside a trace for an argument (checked
 *   per call) or a computed value (not checked). Compute such results on tensors instead.
 * @example
 * ```ts
 * const labels = nx.fromArray([0, 2, 1], { dtype: 'int32' });
 * nx.hostCheck(labels, (ids) => { if (ids.some((v) => v < 0 || v >= 3)) throw new Error('bad label'); }); // true
 * ```
 */
export function hostCheck(t: Tensor, check: (values: TypedArray) => void): boolean {
  if (!(t instanceof tf.Tensor)) throw new ValueError('nx.hostCheck: expected a tensor');
  if (typeof check !== 'function') throw new ValueError('nx.hostCheck: check must be a function of the values');
  const trace = activeTrace();
  if (trace) return trace.hostCheck(t, check);
  check(t.dataSync() as TypedArray);
  return true;
}

/**
 * Whether an {@link jit} trace is recording the ops that run now (the first call of a jitted
 * function for a signature), as `tf.executing_eagerly()` is false inside a `tf.function` trace.
 * Code that caches the outcome of a {@link hostCheck} per tensor must not use the cache while
 * tracing: the check has to run then, so that the trace checks that argument before every call.
 * @example
 * ```ts
 * nx.isTracing(); // false
 * ```
 */
export function isTracing(): boolean {
  return activeTrace() !== undefined;
}

/** A value {@link hostStatic} may return: it becomes part of a trace's signature. */
export type StaticValue = number | boolean | string;

/**
 * A host value for decisions and constants, `f(values of inputs)`, from scalar tensors whose
 * values the host knows (as {@link hostScalar}'s inputs): a branch taken every k-th step, a
 * learning rate read from a state to build an optimizer. Eagerly it is plain host arithmetic.
 * Inside {@link jit} the result is part of the trace's signature: a later call whose inputs give
 * another result traces again (once per distinct result; `maxTraces` bounds it), so return the
 * decision (`c + 1 >= k`), not the raw count, when only the decision matters. For values that
 * change every call, use {@link hostScalar}, which does not trace again.
 * @param inputs - scalar tensors (one element each).
 * @param f - computes the value from one number per input.
 * @returns `f`'s result.
 * @throws ShapeError for an input with more than one element; ValueError when `f` returns
 *   something other than a finite number, a boolean or a string; inside a trace,
 *   {@link TraceError} for an input computed by the traced function.
 * @example
 * ```ts
 * const count = nx.hostScalar([], () => 3, 'int32');
 * const apply = nx.hostStatic([count], (c) => (c + 1) % 4 === 0); // true: the 4th micro-step
 * ```
 */
export function hostStatic<T extends StaticValue>(inputs: readonly Tensor[], f: (...values: number[]) => T): T {
  const where = 'nx.hostStatic';
  if (!Array.isArray(inputs)) throw new ValueError(`${where}: inputs must be an array of scalar tensors`);
  if (typeof f !== 'function') throw new ValueError(`${where}: f must be a function of the input values`);
  const trace = activeTrace();
  if (trace) return trace.hostStatic(inputs, f);
  return checkStatic(where, f(...inputs.map((t) => hostValueOf(where, t))));
}

/** Throws unless `v` may be part of a signature. @internal */
export function checkStatic<T>(where: string, v: T): T {
  const ok = typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && !Number.isNaN(v));
  if (!ok) throw new ValueError(`${where}: the function returned ${String(v)}; return a number (not NaN), a boolean or a string`);
  return v;
}
