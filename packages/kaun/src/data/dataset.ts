/**
 * The streaming dataset: an epoch-indexed sequence of elements (usually batches of tensors) with
 * lazy `map`, `prefetch` and `take`.
 * @module
 */
import * as nx from '@raven/nx';
import { DataError } from '../errors.js';

/** A function giving the elements of one epoch (0, 1, ...). */
export type EpochFn<T> = (epoch: number) => Iterator<T>;

function closeIterator(it: Iterator<unknown>): void {
  if (typeof it.return === 'function') it.return();
}

/**
 * A stream of elements, usually batches `{x: Tensor, y: Tensor}`, produced lazily one epoch at a
 * time: nothing is materialised beyond the element being built (and `prefetch`'s buffer).
 *
 * Ownership: every element is handed to the consumer, who disposes its tensors once done
 * (`nx.dispose(batch)`, or by iterating inside `nx.scope`). `Train.fit`, `Train.evaluate` and
 * `Train.predict` do this. Stopping early (`break`) frees what the pipeline still holds.
 *
 * Epochs: `iterate(epoch)` gives the given epoch (a shuffle upstream is a function of it);
 * `for (const b of ds)` iterates epoch 0, then 1, ... on successive loops.
 */
export class Dataset<T> implements Iterable<T> {
  readonly #make: EpochFn<T>;
  #nextEpoch = 0;
  /** Elements per epoch when known (batches, for a batched source), else `undefined`. */
  readonly length: number | undefined;

  /** Makes a dataset from a function giving each epoch's elements. Prefer {@link fromGenerator}. */
  constructor(make: EpochFn<T>, length?: number) {
    this.#make = make;
    this.length = length;
  }

  /** The elements of epoch `epoch` (>= 0), as an iterable. */
  iterate(epoch: number): Iterable<T> {
    if (!Number.isInteger(epoch) || epoch < 0) throw new DataError(`Dataset.iterate: epoch must be a non-negative integer, got ${String(epoch)}`);
    return { [Symbol.iterator]: () => this.#make(epoch) };
  }

  /** Iterates the next epoch: 0 on the first loop, 1 on the second, ... */
  [Symbol.iterator](): Iterator<T> {
    return this.#make(this.#nextEpoch++);
  }

  /**
   * Applies `f` to every element, lazily. `f` runs inside `nx.scope`, and tensors of the input
   * element that are not part of the output are disposed, so
   * `ds.map(({x, y}) => ({x: nx.div(x, 255), y}))` frees the raw `x` and keeps `y`.
   * @example `batches.map(({ x, y }) => ({ x: nx.reshape(x, [-1, 1, 28, 28]), y }))`
   */
  map<U>(f: (element: T) => U): Dataset<U> {
    return new Dataset<U>((epoch) => {
      const inner = this.#make(epoch);
      return {
        next: () => {
          const r = inner.next();
          if (r.done) return { done: true, value: undefined };
          const input = r.value;
          const out = nx.scope(() => f(input) as nx.Scoped) as U;
          const kept = new Set<unknown>();
          collect(out, kept);
          const drop: unknown[] = [];
          collect(input, undefined, drop);
          nx.dispose(drop.filter((t) => !kept.has(t)));
          return { done: false, value: out };
        },
        return: () => { closeIterator(inner); return { done: true, value: undefined }; },
      };
    }, this.length);
  }

  /**
   * Builds up to `n` elements ahead of the consumer. Iteration is synchronous, so this does not
   * overlap work with training; it changes when elements are built (e.g. to keep a slow `map`
   * out of a timed section). Buffered elements are freed if the consumer stops early.
   * @throws DataError unless `n` is a positive integer.
   */
  prefetch(n: number): Dataset<T> {
    if (!Number.isInteger(n) || n < 1) throw new DataError(`Dataset.prefetch: n must be a positive integer, got ${String(n)}`);
    return new Dataset<T>((epoch) => {
      const inner = this.#make(epoch);
      const buffer: T[] = [];
      let finished = false;
      const fill = () => {
        while (!finished && buffer.length < n) {
          const r = inner.next();
          if (r.done) finished = true;
          else buffer.push(r.value);
        }
      };
      return {
        next: () => {
          fill();
          if (buffer.length === 0) return { done: true, value: undefined };
          const value = buffer.shift() as T;
          fill();
          return { done: false, value };
        },
        return: () => {
          nx.dispose(buffer.splice(0));
          closeIterator(inner);
          return { done: true, value: undefined };
        },
      };
    }, this.length);
  }

  /**
   * The first `n` elements of every epoch.
   * @throws DataError unless `n` is a non-negative integer.
   */
  take(n: number): Dataset<T> {
    if (!Number.isInteger(n) || n < 0) throw new DataError(`Dataset.take: n must be a non-negative integer, got ${String(n)}`);
    return new Dataset<T>((epoch) => {
      const inner = this.#make(epoch);
      let i = 0;
      return {
        next: () => {
          if (i >= n) { closeIterator(inner); return { done: true, value: undefined }; }
          i++;
          return inner.next();
        },
        return: () => { closeIterator(inner); return { done: true, value: undefined }; },
      };
    }, this.length === undefined ? undefined : Math.min(n, this.length));
  }
}

function collect(v: unknown, set?: Set<unknown>, list?: unknown[], seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (nx.isTensor(v)) { set?.add(v); list?.push(v); return; }
  if (Array.isArray(v)) { for (const e of v) collect(e, set, list, seen); return; }
  if (Object.getPrototypeOf(v) === Object.prototype) for (const e of Object.values(v)) collect(e, set, list, seen);
}

/** Options of {@link fromGenerator}. */
export interface FromGeneratorOptions {
  /** Elements per epoch, when known. */
  length?: number;
}

const FROM_GENERATOR_KEYS: nx.OptionKeys<FromGeneratorOptions> = { length: true };

/**
 * A dataset from a function giving each epoch's elements (a generator function works).
 * Elements are handed to the consumer, who disposes them.
 * @example
 * ```ts
 * const ds = Data.fromGenerator(function* (epoch) {
 *   for (let i = 0; i < 10; i++) yield { x: nx.full([4, 2], epoch), y: nx.zeros([4]) };
 * }, { length: 10 });
 * ```
 */
export function fromGenerator<T>(make: (epoch: number) => Iterable<T>, options: FromGeneratorOptions = {}): Dataset<T> {
  nx.checkOptions('Data.fromGenerator', options, FROM_GENERATOR_KEYS);
  if (typeof make !== 'function') throw new DataError(`Data.fromGenerator: expected a function of the epoch, got ${typeof make}`);
  return new Dataset<T>((epoch) => make(epoch)[Symbol.iterator](), options.length);
}
