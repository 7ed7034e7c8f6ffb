/**
 * Early stopping for `fit`: watches a logged value, stops after `patience` epochs without
 * improvement, and optionally restores the best variables.
 * @module
 */
import * as nx from '@raven/nx';
import { KaunError } from '../errors.js';
import type { Vars } from '../layer/index.js';
import * as Ptree from '../ptree/index.js';

/** Options of early stopping (`fit`'s `earlyStopping`). */
export interface EarlyStoppingOptions {
  /** The logged value to watch; default `'val_loss'` with validation data, else `'loss'`. */
  monitor?: string;
  /**
   * Epochs without improvement after which training stops (as Keras); default 0, which like 1
   * stops at the first epoch that does not improve.
   */
  patience?: number;
  /** Smallest change that counts as an improvement; default 0. */
  minDelta?: number;
  /** `'min'`, `'max'`, or `'auto'` (max for names with acc/precision/recall/f1/auc, else min); default `'auto'`. */
  mode?: 'min' | 'max' | 'auto';
  /**
   * At the end of `fit`, put back the variables of the best epoch (kept as a copy when the value
   * improves); default false. The optimizer state stays that of the last step.
   */
  restoreBest?: boolean;
}

const EARLY_STOPPING_KEYS: nx.OptionKeys<EarlyStoppingOptions> = { monitor: true, patience: true, minDelta: true, mode: true, restoreBest: true };

/** The early-stopping logic, fed one epoch's logs at a time. @internal */
export class EarlyStopper {
  readonly monitor: string;
  readonly #patience: number;
  readonly #minDelta: number;
  readonly #max: boolean;
  readonly #restore: boolean;
  #best = Number.NaN;
  #wait = 0;
  /** The epoch with the best value so far. */
  bestEpoch = -1;
  #bestVars: Vars | undefined;

  constructor(options: EarlyStoppingOptions, hasValidation: boolean) {
    nx.checkOptions('Train.fit: earlyStopping', options, EARLY_STOPPING_KEYS);
    const fn = 'Train.fit: earlyStopping';
    this.monitor = options.monitor ?? (hasValidation ? 'val_loss' : 'loss');
    this.#patience = options.patience ?? 0;
    this.#minDelta = Math.abs(options.minDelta ?? 0);
    if (!Number.isInteger(this.#patience) || this.#patience < 0) throw new KaunError(`${fn}.patience must be a non-negative integer, got ${String(options.patience)}`);
    if (!Number.isFinite(this.#minDelta)) throw new KaunError(`${fn}.minDelta must be a finite number, got ${String(options.minDelta)}`);
    const mode = options.mode ?? 'auto';
    if (!['min', 'max', 'auto'].includes(mode)) throw new KaunError(`${fn}.mode must be 'min', 'max' or 'auto', got ${String(mode)}`);
    this.#max = mode === 'max' || (mode === 'auto' && /acc|precision|recall|f1|auc/i.test(this.monitor));
    this.#restore = options.restoreBest ?? false;
  }

  /** Records an epoch; returns whether training should stop. */
  update(epoch: number, logs: Record<string, number>, vars: Vars): boolean {
    const v = logs[this.monitor];
    if (v === undefined) throw new KaunError(`Train.fit: earlyStopping monitors '${this.monitor}', which is not logged; logged: ${Object.keys(logs).join(', ')}`);
    const improved = Number.isNaN(this.#best) || (this.#max ? v > this.#best + this.#minDelta : v < this.#best - this.#minDelta);
    if (improved) {
      this.#best = v;
      this.#wait = 0;
      this.bestEpoch = epoch;
      if (this.#restore) {
        if (this.#bestVars) Ptree.dispose([this.#bestVars.params, this.#bestVars.state]);
        this.#bestVars = { params: Ptree.map(vars.params, nx.copy), state: Ptree.map(vars.state, nx.copy), dtype: vars.dtype };
      }
      return false;
    }
    this.#wait++;
    return this.#wait >= Math.max(1, this.#patience);
  }

  /** The counters as JSON and the best variables kept so far (owned by the stopper), for a checkpoint. */
  snapshot(): { json: { best: number | null; wait: number; bestEpoch: number }; bestVars: Vars | undefined } {
    return { json: { best: Number.isNaN(this.#best) ? null : this.#best, wait: this.#wait, bestEpoch: this.bestEpoch }, bestVars: this.#bestVars };
  }

  /** Continues from a {@link EarlyStopper.snapshot}; takes ownership of `bestVars`. */
  restore(json: { best: number | null; wait: number; bestEpoch: number }, bestVars: Vars | undefined): void {
    this.#best = json.best ?? Number.NaN;
    this.#wait = json.wait;
    this.bestEpoch = json.bestEpoch;
    if (this.#bestVars) Ptree.dispose([this.#bestVars.params, this.#bestVars.state]);
    this.#bestVars = this.#restore ? bestVars : undefined;
    if (!this.#restore && bestVars) Ptree.dispose([bestVars.params, bestVars.state]);
  }

  /** Whether the best variables are kept (`restoreBest`). */
  get keepsBest(): boolean {
    return this.#restore;
  }

  /** The variables to end with: the best copy (if kept and not the last epoch), else `undefined`. Frees the copy otherwise. */
  takeBest(lastEpoch: number): Vars | undefined {
    const best = this.#bestVars;
    this.#bestVars = undefined;
    if (best === undefined) return undefined;
    if (this.bestEpoch === lastEpoch) {
      Ptree.dispose([best.params, best.state]);
      return undefined;
    }
    return best;
  }
}
