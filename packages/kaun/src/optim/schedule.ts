/**
 * Learning-rate schedules: plain functions of the step, as in Optax. Every factory validates its
 * options and throws an {@link OptimError} naming the bad one.
 *
 * Steps count from 0: the first update of an optimizer evaluates its schedule at step 0, the
 * second at 1, and so on (as Optax, and as PyTorch's `LambdaLR`, which also gives the first step
 * `lr_lambda(0)`).
 * @module
 */
import * as nx from '@raven/nx';
import { OptimError } from '../errors.js';

/** A schedule: the value (a learning rate, usually) for an update step counting from 0. */
export type Schedule = (step: number) => number;

function finite(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptimError(`Optim.Schedule.${fn}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

function steps(fn: string, name: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new OptimError(`Optim.Schedule.${fn}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

/**
 * The same value at every step.
 * @throws OptimError when `value` is not a finite number.
 * @example `Optim.adam({ lr: Optim.Schedule.constant(1e-3) })`
 */
export function constant(value: number): Schedule {
  const v = finite('constant', 'value', value);
  return () => v;
}

/** Options of {@link linear}. */
export interface LinearOptions {
  /** Value at step `begin` and before. */
  init: number;
  /** Value reached at step `begin + steps`, kept afterwards. */
  end: number;
  /** Number of steps of the transition (> 0). */
  steps: number;
  /** Step at which the transition starts; default 0. */
  begin?: number;
}

const LINEAR_KEYS: nx.OptionKeys<LinearOptions> = { init: true, end: true, steps: true, begin: true };

/**
 * Linear interpolation from `init` to `end` over `steps` steps (Optax's `linear_schedule`):
 * `init + (end - init) * clip(step - begin, 0, steps) / steps`.
 * @throws OptimError for non-finite values or a non-positive `steps`.
 * @example `Optim.Schedule.linear({ init: 1e-3, end: 0, steps: 1000 })(500)` is `5e-4`.
 */
export function linear(options: LinearOptions): Schedule {
  nx.checkOptions('Optim.Schedule.linear', options, LINEAR_KEYS);
  const init = finite('linear', 'init', options.init);
  const end = finite('linear', 'end', options.end);
  const n = steps('linear', 'steps', options.steps, 1);
  const begin = steps('linear', 'begin', options.begin ?? 0);
  return (step) => {
    const t = Math.min(Math.max(step - begin, 0), n);
    return init + (end - init) * (t / n);
  };
}

/** Options of {@link cosine}. */
export interface CosineOptions {
  /** Value at step 0. */
  init: number;
  /** Steps over which the value decays (> 0); afterwards it stays at `alpha * init`. */
  decaySteps: number;
  /** Final value as a fraction of `init`; default 0. */
  alpha?: number;
  /** Power applied to the cosine factor; default 1. */
  exponent?: number;
}

const COSINE_KEYS: nx.OptionKeys<CosineOptions> = { init: true, decaySteps: true, alpha: true, exponent: true };

/**
 * Cosine decay (Optax's `cosine_decay_schedule`): with `t = min(step, decaySteps)`,
 * `init * ((1 - alpha) * (0.5 * (1 + cos(pi * t / decaySteps)))^exponent + alpha)`.
 * @throws OptimError for non-finite values or a non-positive `decaySteps`.
 */
export function cosine(options: CosineOptions): Schedule {
  nx.checkOptions('Optim.Schedule.cosine', options, COSINE_KEYS);
  const init = finite('cosine', 'init', options.init);
  const n = steps('cosine', 'decaySteps', options.decaySteps, 1);
  const alpha = finite('cosine', 'alpha', options.alpha ?? 0);
  const exponent = finite('cosine', 'exponent', options.exponent ?? 1);
  return (step) => {
    const t = Math.min(Math.max(step, 0), n);
    const c = 0.5 * (1 + Math.cos((Math.PI * t) / n));
    return init * ((1 - alpha) * c ** exponent + alpha);
  };
}

/** Options of {@link warmupLinear}. */
export interface WarmupLinearOptions {
  /** Value reached at the end of the warmup. */
  peak: number;
  /** Steps of linear warmup from `init` to `peak` (>= 0). */
  warmupSteps: number;
  /** Total steps, warmup included: the value reaches `end` here and stays (>= warmupSteps). */
  totalSteps: number;
  /** Value at step 0; default 0. */
  init?: number;
  /** Final value; default 0. */
  end?: number;
}

const WARMUP_LINEAR_KEYS: nx.OptionKeys<WarmupLinearOptions> = { peak: true, warmupSteps: true, totalSteps: true, init: true, end: true };

/**
 * Linear warmup then linear decay, like transformers' `get_linear_schedule_with_warmup` (which is
 * the case `init = 0`, `end = 0`): for `step < warmupSteps` the value is
 * `init + (peak - init) * step / warmupSteps`; then
 * `end + (peak - end) * max(0, totalSteps - step) / (totalSteps - warmupSteps)`.
 * With the defaults the first update (step 0) has learning rate 0, as in transformers.
 * @throws OptimError for non-finite values, negative step counts, or `totalSteps < warmupSteps`.
 * @example `Optim.adamw({ lr: Optim.Schedule.warmupLinear({ peak: 5e-5, warmupSteps: 100, totalSteps: 1000 }) })`
 */
export function warmupLinear(options: WarmupLinearOptions): Schedule {
  nx.checkOptions('Optim.Schedule.warmupLinear', options, WARMUP_LINEAR_KEYS);
  const peak = finite('warmupLinear', 'peak', options.peak);
  const warm = steps('warmupLinear', 'warmupSteps', options.warmupSteps);
  const total = steps('warmupLinear', 'totalSteps', options.totalSteps);
  const init = finite('warmupLinear', 'init', options.init ?? 0);
  const end = finite('warmupLinear', 'end', options.end ?? 0);
  if (total < warm) throw new OptimError(`Optim.Schedule.warmupLinear: totalSteps (${total}) must be >= warmupSteps (${warm}); totalSteps counts the warmup too`);
  const decay = Math.max(1, total - warm);
  return (step) => {
    const s = Math.max(step, 0);
    if (s < warm) return init + ((peak - init) * s) / warm;
    return end + ((peak - end) * Math.max(0, total - s)) / decay;
  };
}

/** Options of {@link warmupCosine}. */
export interface WarmupCosineOptions {
  /** Value at step 0; default 0. */
  init?: number;
  /** Value reached at the end of the warmup. */
  peak: number;
  /** Steps of linear warmup (>= 0). */
  warmupSteps: number;
  /** Total steps, warmup included, at which the value reaches `end` (> warmupSteps). */
  decaySteps: number;
  /** Final value; default 0. */
  end?: number;
  /** Power applied to the cosine factor; default 1. */
  exponent?: number;
}

const WARMUP_COSINE_KEYS: nx.OptionKeys<WarmupCosineOptions> = { init: true, peak: true, warmupSteps: true, decaySteps: true, end: true, exponent: true };

/**
 * Linear warmup from `init` to `peak`, then cosine decay to `end` (Optax's
 * `warmup_cosine_decay_schedule`; `decaySteps` includes the warmup): for `step < warmupSteps`,
 * `init + (peak - init) * step / warmupSteps`; after, with `t = min(step - warmupSteps, T)`,
 * `T = decaySteps - warmupSteps`: `end + (peak - end) * (0.5 * (1 + cos(pi * t / T)))^exponent`.
 * @throws OptimError for non-finite values, negative step counts or `decaySteps <= warmupSteps`.
 */
export function warmupCosine(options: WarmupCosineOptions): Schedule {
  nx.checkOptions('Optim.Schedule.warmupCosine', options, WARMUP_COSINE_KEYS);
  const init = finite('warmupCosine', 'init', options.init ?? 0);
  const peak = finite('warmupCosine', 'peak', options.peak);
  const warm = steps('warmupCosine', 'warmupSteps', options.warmupSteps);
  const total = steps('warmupCosine', 'decaySteps', options.decaySteps);
  const end = finite('warmupCosine', 'end', options.end ?? 0);
  const exponent = finite('warmupCosine', 'exponent', options.exponent ?? 1);
  if (total <= warm) throw new OptimError(`Optim.Schedule.warmupCosine: decaySteps (${total}) must be > warmupSteps (${warm}); decaySteps counts the warmup too`);
  const n = total - warm;
  return (step) => {
    const s = Math.max(step, 0);
    if (s < warm) return init + ((peak - init) * s) / warm;
    const t = Math.min(s - warm, n);
    const c = 0.5 * (1 + Math.cos((Math.PI * t) / n));
    return end + (peak - end) * c ** exponent;
  };
}

/** Options of {@link exponential}. */
export interface ExponentialOptions {
  /** Value at step `begin` and before. */
  init: number;
  /** Factor applied every `transitionSteps` steps (> 0). */
  decayRate: number;
  /** Steps per factor of `decayRate` (> 0). */
  transitionSteps: number;
  /** Whether to decay in whole steps of `transitionSteps` (floor of the exponent); default false. */
  staircase?: boolean;
  /** Step at which the decay starts; default 0. */
  begin?: number;
  /** A bound the value does not pass (a floor when decaying, a ceiling when growing); default none. */
  end?: number;
}

const EXPONENTIAL_KEYS: nx.OptionKeys<ExponentialOptions> = { init: true, decayRate: true, transitionSteps: true, staircase: true, begin: true, end: true };

/**
 * Exponential decay (Optax's `exponential_decay`): `init * decayRate^p` with
 * `p = (step - begin) / transitionSteps` (floored when `staircase`), `init` for steps before
 * `begin`, bounded by `end` when given.
 * @throws OptimError for non-finite values, a non-positive `decayRate` or `transitionSteps`.
 * @example `Optim.Schedule.exponential({ init: 0.1, decayRate: 0.5, transitionSteps: 100, staircase: true })(250)` is 0.025.
 */
export function exponential(options: ExponentialOptions): Schedule {
  nx.checkOptions('Optim.Schedule.exponential', options, EXPONENTIAL_KEYS);
  const init = finite('exponential', 'init', options.init);
  const rate = finite('exponential', 'decayRate', options.decayRate);
  if (rate <= 0) throw new OptimError(`Optim.Schedule.exponential: decayRate must be > 0, got ${rate}`);
  const n = steps('exponential', 'transitionSteps', options.transitionSteps, 1);
  const begin = steps('exponential', 'begin', options.begin ?? 0);
  const end = options.end === undefined ? undefined : finite('exponential', 'end', options.end);
  const staircase = options.staircase ?? false;
  return (step) => {
    const d = step - begin;
    if (d <= 0) return init;
    const p = staircase ? Math.floor(d / n) : d / n;
    const v = init * rate ** p;
    if (end === undefined) return v;
    return rate < 1 ? Math.max(v, end) : Math.min(v, end);
  };
}

/** Options of {@link piecewise}. */
export interface PiecewiseOptions {
  /** Strictly increasing steps at which the value changes. */
  boundaries: number[];
  /** One more value than boundaries: `values[i]` holds for steps in `[boundaries[i-1], boundaries[i])`. */
  values: number[];
}

const PIECEWISE_KEYS: nx.OptionKeys<PiecewiseOptions> = { boundaries: true, values: true };

/**
 * Piecewise constant: `values[0]` for steps before `boundaries[0]`, `values[i]` from
 * `boundaries[i-1]` (inclusive) to `boundaries[i]`, the last value from the last boundary on
 * (the value changes AT the boundary step, as Optax's `piecewise_constant_schedule`).
 * @throws OptimError when `values.length !== boundaries.length + 1`, boundaries are not strictly
 * increasing non-negative integers, or a value is not finite.
 * @example `Optim.Schedule.piecewise({ boundaries: [100, 200], values: [1e-2, 1e-3, 1e-4] })(100)` is 1e-3.
 */
export function piecewise(options: PiecewiseOptions): Schedule {
  nx.checkOptions('Optim.Schedule.piecewise', options, PIECEWISE_KEYS);
  const { boundaries, values } = options;
  if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1) {
    throw new OptimError(`Optim.Schedule.piecewise: expected one more value than boundaries, got ${Array.isArray(values) ? values.length : String(values)} values and ${Array.isArray(boundaries) ? boundaries.length : String(boundaries)} boundaries`);
  }
  boundaries.forEach((b, i) => {
    steps('piecewise', `boundaries[${i}]`, b);
    if (i > 0 && b <= boundaries[i - 1]!) throw new OptimError(`Optim.Schedule.piecewise: boundaries must increase strictly, got ${boundaries[i - 1]} then ${b}`);
  });
  values.forEach((v, i) => finite('piecewise', `values[${i}]`, v));
  const bs = boundaries.slice();
  const vs = values.slice();
  return (step) => {
    let i = 0;
    while (i < bs.length && step >= bs[i]!) i++;
    return vs[i]!;
  };
}
