/**
 * Guards of the training loop: a non-finite loss stops `fit` (or warns, by option) naming the
 * epoch and step, as Keras' `TerminateOnNaN`; an epoch that yields no batch is an error. Losses
 * stay on the device: each step adds one `isFinite` flag, and the flags are read together every
 * 64 steps and at the end of each epoch (one small read).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError, NonFiniteLossError } from '../errors.js';
import type { TrainState } from './types.js';

/** What `fit` does when a step's loss is NaN or infinite: see `FitOptions.nonFinite`. */
export type NonFiniteMode = 'stop' | 'warn' | 'ignore';

const CHECK_EVERY = 64;

/** Watches each step's loss for NaN and infinities. @internal */
export class FiniteGuard {
  #losses: Tensor[] = [];
  #steps: number[] = [];
  #warned = new Set<number>();

  /** @param mode - `'stop'` (default), `'warn'` or `'ignore'`. */
  constructor(private readonly fn: string, private readonly mode: NonFiniteMode = 'stop') {
    if (!['stop', 'warn', 'ignore'].includes(mode)) throw new KaunError(`${fn}: nonFinite must be 'stop', 'warn' or 'ignore', got ${String(mode)}`);
  }

  /** Records step `step`'s loss (a scalar, not consumed); checks every 64 steps. */
  watch(loss: Tensor, epoch: number, step: number, state: () => TrainState, history: Record<string, number[]>): void {
    if (this.mode === 'ignore') return;
    this.#losses.push(nx.keep(nx.copy(loss)));
    this.#steps.push(step);
    if (this.#losses.length >= CHECK_EVERY) this.check(epoch, state, history);
  }

  /** Reads the pending losses (one read) and acts on the first non-finite one. */
  check(epoch: number, state: () => TrainState, history: Record<string, number[]>): void {
    if (this.#losses.length === 0) return;
    const losses = this.#losses;
    const steps = this.#steps;
    this.#losses = [];
    this.#steps = [];
    const values = nx.scope(() => nx.toTypedArray(nx.stack(losses.map((l) => nx.reshape(l, [])))));
    nx.dispose(losses);
    const i = values.findIndex((v) => !Number.isFinite(v));
    if (i < 0) return;
    const where = `epoch ${epoch}, step ${steps[i]}`;
    if (this.mode === 'warn') {
      if (!this.#warned.has(epoch)) process.emitWarning(`${this.fn}: the loss is ${values[i]} at ${where}; training goes on (nonFinite: 'warn'), but the parameters are probably ${values[i]} from here`, { code: 'RAVEN_NON_FINITE_LOSS' });
      this.#warned.add(epoch);
      return;
    }
    throw new NonFiniteLossError(
      `${this.fn}: the loss is ${values[i]} at ${where}; training stopped (as Keras' TerminateOnNaN). Look for NaN or infinite inputs or labels, ` +
        "a learning rate too high (try a smaller one or gradient clipping), or log of 0 in a custom loss; pass nonFinite: 'warn' or 'ignore' to go on",
      { epoch, step: steps[i]!, loss: values[i]!, state: state(), history },
    );
  }

  /** Frees what is pending. */
  dispose(): void {
    nx.dispose(this.#losses);
    this.#losses = [];
    this.#steps = [];
  }
}

/**
 * Throws when an epoch yielded no batch (an empty dataset, or `batch(n, { dropLast: true })` with
 * fewer than `n` examples).
 * @internal
 */
export function checkEpochHadBatches(fn: string, epoch: number, batches: number, data: unknown): void {
  if (batches > 0) return;
  const size = (data as { length?: unknown }).length;
  const known = typeof size === 'number' ? ` (the dataset reports ${size} batches)` : '';
  throw new KaunError(`${fn}: epoch ${epoch} had no batch${known}: the dataset is empty, dropLast dropped its only (short) batch, or the data is an iterator used up by an earlier epoch (pass a Data.Dataset or an array); check the data and the batch size`);
}
