/**
 * Guards of the training loop: a non-finite loss stops `fit` (or warns, by option) naming the
 * epoch and step, as Keras' `TerminateOnNaN`; an epoch that yields no batch is an error. Losses
 * stay on the device: the check reads the 64 losses the running mean folds together every 64
 * steps, and the rest at the end of each epoch (one small read each time, no op per step).
 * @module
 */
import * as nx from '@raven/nx';
import { KaunError, NonFiniteLossError } from '../errors.js';
import type { FoldHook } from './_running.js';
import type { TrainState } from './types.js';

/** What `fit` does when a step's loss is NaN or infinite: see `FitOptions.nonFinite`. */
export type NonFiniteMode = 'stop' | 'warn' | 'ignore';

/** Watches each step's loss for NaN and infinities, on the losses `LossMean` folds. @internal */
export class FiniteGuard {
  #warned = new Set<number>();

  /** @param mode - `'stop'` (default), `'warn'` or `'ignore'`. */
  constructor(private readonly fn: string, private readonly mode: NonFiniteMode = 'stop') {
    if (!['stop', 'warn', 'ignore'].includes(mode)) throw new KaunError(`${fn}: nonFinite must be 'stop', 'warn' or 'ignore', got ${String(mode)}`);
  }

  /**
   * The hook for `LossMean.onFold`: `firstStep()` gives the step of the first loss of a fold
   * when it happens. Reads the fold's losses (one small read) and acts on the first non-finite
   * one; undefined with `'ignore'`, so nothing is read.
   */
  hook(epoch: number, firstStep: () => number, state: () => TrainState, history: Record<string, number[]>): FoldHook | undefined {
    if (this.mode === 'ignore') return undefined;
    return (stacked) => this.#check(nx.toTypedArray(stacked), epoch, firstStep(), state, history);
  }

  #check(values: ArrayLike<number>, epoch: number, first: number, state: () => TrainState, history: Record<string, number[]>): void {
    let i = 0;
    while (i < values.length && Number.isFinite(values[i]!)) i++;
    if (i === values.length) return;
    const step = first + i;
    const where = `epoch ${epoch}, step ${step}`;
    if (this.mode === 'warn') {
      if (!this.#warned.has(epoch)) process.emitWarning(`${this.fn}: the loss is ${values[i]} at ${where}; training goes on (nonFinite: 'warn'), but the parameters are probably ${values[i]} from here`, { code: 'RAVEN_NON_FINITE_LOSS' });
      this.#warned.add(epoch);
      return;
    }
    throw new NonFiniteLossError(
      `${this.fn}: the loss is ${values[i]} at ${where}; training stopped (as Keras' TerminateOnNaN). Look for NaN or infinite inputs or labels, ` +
        "a learning rate too high (try a smaller one or gradient clipping), or log of 0 in a custom loss; pass nonFinite: 'warn' or 'ignore' to go on",
      { epoch, step, loss: values[i]!, state: state(), history },
    );
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
