/**
 * A finite-difference gradient checker, for testing differentiable code.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, type OptionKeys } from '../options.js';
import type { Tensor } from '../tensor.js';
import { grad, type ScalarFn } from './autodiff.js';

/** Options of {@link checkGrad}. */
export interface CheckGradOptions {
  /** Finite-difference step; default 1e-3 (float32 arithmetic). */
  eps?: number;
  /** Relative tolerance; default 2e-2. */
  rtol?: number;
  /** Absolute tolerance; default 2e-3. */
  atol?: number;
  /** Check at most this many coordinates per argument, spread evenly; default 64. */
  maxPoints?: number;
}

const CHECK_GRAD_KEYS: OptionKeys<CheckGradOptions> = { eps: true, rtol: true, atol: true, maxPoints: true };

/** The coordinate where analytic and numeric gradients disagree most (see {@link CheckGradResult}). */
export interface CheckGradWorst {
  /** Index of the argument in `xs`. */
  arg: number;
  /** Flat (row-major) index of the coordinate within that argument. */
  index: number;
  /** The gradient from `nx.grad`. */
  analytic: number;
  /** The central finite difference. */
  numeric: number;
}

/** The outcome of {@link checkGrad}. */
export interface CheckGradResult {
  /** Whether every checked coordinate is within `atol + rtol * |numeric|`. */
  ok: boolean;
  /** Largest `|analytic - numeric|` seen. */
  maxAbsError: number;
  /** The worst coordinate: argument index, flat index, analytic and numeric values. */
  worst: CheckGradWorst | null;
}

/**
 * Compares `nx.grad(f)` with central finite differences `(f(x + eps) - f(x - eps)) / 2 eps` at up
 * to `maxPoints` coordinates of every argument (so `f` runs `2 * maxPoints` times per argument).
 * Use a scalar `f` that weighs outputs differently (for instance `sum(y * r)` with a fixed random
 * `r`) so that every output element is checked. Frees what it creates.
 * @returns whether all checked coordinates agree within `atol + rtol * |numeric|`, the largest
 *   error and the worst coordinate.
 * @throws DTypeError for non-float32 arguments; ShapeError if `f` does not return a scalar.
 * @example `expect(nx.checkGrad((x) => nx.sum(nx.tanh(x)), [x]).ok).toBe(true)`
 */
export function checkGrad(f: ScalarFn, xs: Tensor[], options: CheckGradOptions = {}): CheckGradResult {
  checkOptions('nx.checkGrad', options, CHECK_GRAD_KEYS);
  const eps = options.eps ?? 1e-3;
  const rtol = options.rtol ?? 2e-2;
  const atol = options.atol ?? 2e-3;
  const maxPoints = options.maxPoints ?? 64;
  const analytic = tf.tidy(() => grad(f)(...xs).map((g) => g.dataSync().slice()));
  let ok = true;
  let maxAbsError = 0;
  let worst: CheckGradResult['worst'] = null;
  let worstScore = -Infinity;
  xs.forEach((x, arg) => {
    const base = x.dataSync().slice() as Float32Array;
    const n = base.length;
    const step = Math.max(1, Math.floor(n / maxPoints));
    for (let i = 0; i < n; i += step) {
      const evalAt = (delta: number): number => tf.tidy(() => {
        const d = base.slice();
        d[i] = d[i]! + delta;
        const args = xs.map((y, j) => (j === arg ? tf.tensor(d, x.shape, 'float32') : y));
        return f(...args).dataSync()[0]!;
      });
      const numeric = (evalAt(eps) - evalAt(-eps)) / (2 * eps);
      const a = analytic[arg]![i]!;
      const err = Math.abs(a - numeric);
      const tol = atol + rtol * Math.abs(numeric);
      if (!(err <= tol)) ok = false;
      maxAbsError = Math.max(maxAbsError, err);
      if (err - tol > worstScore) {
        worstScore = err - tol;
        worst = { arg, index: i, analytic: a, numeric };
      }
    }
  });
  return { ok, maxAbsError, worst };
}
