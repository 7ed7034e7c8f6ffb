/**
 * Helpers of the loops: a device-side running mean of losses, batch sizes, epoch iteration,
 * metric accumulators. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Dataset } from '../data/index.js';
import { KaunError } from '../errors.js';
import { batchMean, isAccumulator, type Accumulator } from '../metric/index.js';
import type { MetricSpec } from './types.js';

const FLUSH_EVERY = 64;

/** What {@link LossMean.snapshot} gives. @internal */
export interface LossSnapshot {
  /** The folded sum (a float32 value), or null before the first fold. */
  sum: number | null;
  /** Examples counted so far. */
  count: number;
  /** Losses not folded yet, with their weights. */
  pending: number[];
  /** The weights of `pending`. */
  sizes: number[];
}

/**
 * Sees the losses of a fold before they are summed: `stacked` holds them in the order they were
 * added (a 1-D tensor, freed after the call). `fit`'s NaN check reads it there, so it costs no op
 * of its own per step. @internal
 */
export type FoldHook = (stacked: Tensor) => void;

/**
 * A weighted mean of scalar loss tensors kept on the device: losses are collected and summed in
 * one stack every 64 steps, and read only by {@link LossMean.read}. @internal
 */
export class LossMean {
  #pending: Tensor[] = [];
  #sizes: number[] = [];
  #sum: Tensor | undefined;
  #count = 0;
  /** Sees every fold before it is summed, whoever triggers it (`add`, `flush`, `read`). */
  onFold: FoldHook | undefined;

  /**
   * Takes ownership of `loss` (a scalar) with weight `n`. The losses already held are folded
   * first, so `loss` itself stays alive until the next `add` (the batch callbacks read it).
   */
  add(loss: Tensor, n: number): void {
    if (this.#pending.length >= FLUSH_EVERY) this.flush();
    this.#pending.push(loss);
    this.#sizes.push(n);
    this.#count += n;
  }

  /** The number of losses added and not folded yet. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /**
   * Folds the pending losses into the running sum (a handful of ops); {@link LossMean.onFold} sees
   * them first. If it throws, nothing is folded (the losses stay pending until
   * {@link LossMean.dispose}).
   */
  flush(): void {
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    const sizes = this.#sizes;
    const prev = this.#sum;
    const next = nx.scope(() => {
      const stacked = nx.stack(pending);
      this.onFold?.(stacked);
      const s = nx.sum(nx.mul(stacked, nx.fromArray(sizes)));
      return prev === undefined ? s : nx.add(prev, s);
    });
    nx.dispose(pending);
    if (prev !== undefined) nx.dispose(prev);
    this.#sum = next;
    this.#pending = [];
    this.#sizes = [];
  }

  /** The weighted mean so far (reads the device once); NaN when empty. */
  read(): number {
    this.flush();
    return this.#sum === undefined || this.#count === 0 ? Number.NaN : Number(nx.item(this.#sum)) / this.#count;
  }

  /**
   * The running sum and the losses not yet folded in, read from the device (float32 values, exact
   * in JSON), so a resumed epoch folds them in the same order as an uninterrupted one.
   */
  snapshot(): LossSnapshot {
    const sum = this.#sum === undefined ? null : Number(nx.item(this.#sum));
    let pending: number[] = [];
    if (this.#pending.length > 0) {
      const stacked = nx.stack(this.#pending);
      pending = Array.from(nx.toTypedArray(stacked) as Float32Array, Number);
      nx.dispose(stacked);
    }
    return { sum, count: this.#count, pending, sizes: [...this.#sizes] };
  }

  /** A running mean continuing from a {@link LossMean.snapshot}. */
  static restore(s: LossSnapshot): LossMean {
    const m = new LossMean();
    if (s.sum !== null) m.#sum = nx.scalar(s.sum);
    m.#pending = s.pending.map((v) => nx.scalar(v));
    m.#sizes = [...s.sizes];
    m.#count = s.count;
    return m;
  }

  /** Frees everything. */
  dispose(): void {
    nx.dispose(this.#pending);
    if (this.#sum !== undefined) nx.dispose(this.#sum);
    this.#pending = [];
    this.#sizes = [];
    this.#sum = undefined;
    this.#count = 0;
  }
}

/** The number of examples in a batch: the first axis of its first tensor (y, then x). @internal */
export function batchSize(batch: unknown): number {
  const find = (v: unknown, depth = 0): Tensor | undefined => {
    if (nx.isTensor(v)) return v;
    if (depth > 4 || v === null || typeof v !== 'object') return undefined;
    for (const e of Array.isArray(v) ? v : Object.values(v)) {
      const t = find(e, depth + 1);
      if (t) return t;
    }
    return undefined;
  };
  const b = batch as { x?: unknown; y?: unknown };
  const t = find(b.y) ?? find(b.x);
  return t === undefined || t.rank === 0 ? 1 : t.shape[0]!;
}

/**
 * The elements of one epoch, and whether the loop owns (and so disposes) them: a {@link Dataset}
 * makes fresh batches each epoch (owned); any other iterable is the caller's (not disposed).
 * @internal
 */
export function epochOf<T>(fn: string, data: Iterable<T>, epoch: number): { items: Iterable<T>; owned: boolean } {
  if (data instanceof Dataset) return { items: (data as Dataset<T>).iterate(epoch), owned: true };
  if (data !== null && typeof data === 'object' && typeof (data as Iterable<T>)[Symbol.iterator] === 'function') return { items: data, owned: false };
  throw new KaunError(`${fn}: data must be a Data.Dataset or an iterable of batches {x, y}`);
}

/** One accumulator per metric: functions are wrapped in `Metric.batchMean`; accumulators are reset. @internal */
export function accumulators(metrics: Readonly<Record<string, MetricSpec>>): Array<[string, Accumulator]> {
  return Object.entries(metrics).map(([name, m]) => {
    if (isAccumulator(m)) { m.reset(); return [name, m]; }
    return [name, batchMean(m)];
  });
}

/** Reads every accumulator into `logs` (with a prefix) and resets it. @internal */
export function collect(accs: Array<[string, Accumulator]>, logs: Record<string, number>, prefix = ''): void {
  for (const [name, acc] of accs) {
    logs[prefix + name] = acc.compute();
    acc.reset();
  }
}
