/**
 * `reduceLROnPlateau`: lowers the learning rate when a logged value stops improving.
 * @module
 */
import * as nx from '@raven/nx';
import { KaunError } from '../errors.js';
import { hyperparams, setHyperparams } from '../optim/hyperparams.js';
import type { Callbacks } from '../train/index.js';

/** Options of {@link reduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** The logged value to watch; default `'val_loss'`. */
  monitor?: string;
  /** Multiplies the learning rate (in (0, 1)); default 0.1. */
  factor?: number;
  /** Epochs without improvement before a reduction; default 10. */
  patience?: number;
  /** `'min'`, `'max'` or `'auto'` (max for names with acc/precision/recall/f1/auc); default `'auto'`. */
  mode?: 'min' | 'max' | 'auto';
  /** The smallest change that counts as an improvement; default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again; default 0. */
  cooldown?: number;
  /** The learning rate is never lowered below this; default 0. */
  minLr?: number;
  /** The name of the injected hyperparameter to lower; default `'lr'`. */
  hyperparam?: string;
}

const KEYS: nx.OptionKeys<ReduceLROnPlateauOptions> = { monitor: true, factor: true, patience: true, mode: true, minDelta: true, cooldown: true, minLr: true, hyperparam: true };

/**
 * Lowers the learning rate by `factor` when `monitor` has not improved for `patience` epochs,
 * with Keras' `ReduceLROnPlateau` rules (improvement: below `best - minDelta`, or above
 * `best + minDelta` in max mode; `cooldown` epochs of rest after a reduction; never below
 * `minLr`). The learning rate lives in the optimizer state, so the optimizer must be built with
 * `Optim.injectHyperparams` (every injected `lr` is lowered, e.g. each group of a
 * `multiTransform`); the change is checkpointed with the state. Logs `lr` (the rate the epoch
 * used). Its counters are saved in `CheckpointManager` checkpoints.
 * @throws KaunError for invalid options; at the end of an epoch, when the optimizer has no
 * injected learning rate or `monitor` is not logged.
 * @example
 * ```ts
 * const optimizer = Optim.injectHyperparams((h) => Optim.adam({ lr: h.lr }), { lr: 1e-3 });
 * const callbacks = [Callback.reduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2 })];
 * ```
 */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): Callbacks {
  const fn = 'Callback.reduceLROnPlateau';
  nx.checkOptions(fn, options, KEYS);
  const monitor = options.monitor ?? 'val_loss';
  const factor = options.factor ?? 0.1;
  const patience = options.patience ?? 10;
  const minDelta = Math.abs(options.minDelta ?? 1e-4);
  const cooldown = options.cooldown ?? 0;
  const minLr = options.minLr ?? 0;
  const name = options.hyperparam ?? 'lr';
  if (!(typeof factor === 'number' && factor > 0 && factor < 1)) throw new KaunError(`${fn}: factor must be in (0, 1), got ${String(factor)}`);
  for (const [k, v] of [['patience', patience], ['cooldown', cooldown]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new KaunError(`${fn}: ${k} must be a non-negative integer, got ${String(v)}`);
  }
  if (!(typeof minLr === 'number' && minLr >= 0)) throw new KaunError(`${fn}: minLr must be a non-negative number, got ${String(minLr)}`);
  const mode = options.mode ?? 'auto';
  if (!['min', 'max', 'auto'].includes(mode)) throw new KaunError(`${fn}: mode must be 'min', 'max' or 'auto', got ${String(mode)}`);
  const max = mode === 'max' || (mode === 'auto' && /acc|precision|recall|f1|auc/i.test(monitor));
  let best = max ? -Infinity : Infinity;
  let wait = 0;
  let cooldownLeft = 0;
  return {
    kind: 'reduceLROnPlateau',
    snapshot: () => ({ best: Number.isFinite(best) ? best : null, wait, cooldownLeft }),
    restore: (snap) => {
      const s = snap as { best: number | null; wait: number; cooldownLeft: number };
      best = s.best ?? (max ? -Infinity : Infinity);
      wait = s.wait;
      cooldownLeft = s.cooldownLeft;
    },
    onEpochEnd({ logs, state, setState }) {
      const found = hyperparams(state.optState).filter((h) => name in h.values);
      if (found.length === 0) {
        throw new KaunError(`${fn}: the optimizer has no injected '${name}'; build it with Optim.injectHyperparams((h) => Optim.adam({ lr: h.${name} }), { ${name}: 1e-3 })`);
      }
      logs['lr'] = found[0]!.values[name]!;
      const current = logs[monitor];
      if (current === undefined) throw new KaunError(`${fn}: monitor '${monitor}' is not logged; logged: ${Object.keys(logs).join(', ')}`);
      if (cooldownLeft > 0) {
        cooldownLeft--;
        wait = 0;
      }
      if (max ? current > best + minDelta : current < best - minDelta) {
        best = current;
        wait = 0;
      } else if (cooldownLeft === 0) {
        wait++;
        if (wait >= patience) {
          const next = setHyperparams(state.optState, (k, v) => (k === name && v > minLr ? Math.max(v * factor, minLr) : v));
          if (next.changed > 0) setState({ ...state, optState: next.state });
          cooldownLeft = cooldown;
          wait = 0;
        }
      }
    },
  };
}
