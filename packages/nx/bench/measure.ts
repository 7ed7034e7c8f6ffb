/**
 * Timing helpers for the nx benchmark: repeat a computation until a time budget is spent and
 * report the best time of one call (noise from other processes only ever adds time, so the
 * minimum is the steadiest figure on a shared machine, as Python's `timeit` advises).
 */
import * as nx from '@raven/nx';

/** Options of {@link timeIt}. */
export interface TimeOptions {
  /** Calls per timed sample; default 1. */
  inner?: number;
  /** Stop taking samples after this many milliseconds; default 400. */
  budgetMs?: number;
  /** At most this many samples; default 15. */
  maxSamples?: number;
  /** At least this many samples, even past the budget; default 3. */
  minSamples?: number;
}

/**
 * Best milliseconds of one call of `fn` (which returns a tensor, freed here) over the samples.
 * Each sample runs `inner` calls and reads the last result back, so asynchronous devices finish
 * their work.
 */
export function timeIt(fn: () => nx.Tensor, options: TimeOptions = {}): number {
  const inner = options.inner ?? 1;
  const budget = options.budgetMs ?? 400;
  const maxSamples = options.maxSamples ?? 15;
  const minSamples = options.minSamples ?? 3;
  const sample = (): number => {
    const t0 = performance.now();
    nx.scope(() => {
      let last: nx.Tensor | undefined;
      for (let i = 0; i < inner; i++) {
        last?.dispose();
        last = fn();
      }
      last!.dataSync();
    });
    return (performance.now() - t0) / inner;
  };
  sample(); // warm-up: kernel setup, packing caches, JIT
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minSamples || (samples.length < maxSamples && performance.now() - start < budget)) samples.push(sample());
  return Math.min(...samples);
}

/** `value` rounded to `digits` significant digits (for readable JSON). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(Math.abs(value))));
  return Math.round(value * scale) / scale;
}

/** A float32 tensor of `shape` with uniform values in [-1, 1) (seeded, not cryptographic). */
export function uniform(shape: number[], seed = 1): nx.Tensor {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return nx.fromArray(data, { shape });
}
