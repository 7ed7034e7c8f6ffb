/**
 * `learningRate`: logs the learning rate every epoch.
 * @module
 */
import * as nx from '@raven/nx';
import { KaunError } from '../errors.js';
import { hyperparams } from '../optim/hyperparams.js';
import type { Schedule } from '../optim/schedule.js';
import type { Callbacks } from '../train/index.js';

/** Options of {@link learningRate}. */
export interface LearningRateOptions {
  /**
   * The schedule the optimizer uses, evaluated at the epoch's last update (`schedule(step - 1)`,
   * steps counting from 0). Without it, the optimizer's injected `lr` (`Optim.injectHyperparams`).
   * With `Optim.multiSteps`, pass `(s) => schedule(Math.floor(s / k))`.
   */
  schedule?: Schedule;
}

const KEYS: nx.OptionKeys<LearningRateOptions> = { schedule: true };

/**
 * Adds the learning rate to each epoch's logs as `lr` (HF Trainer logs `learning_rate`; Keras'
 * scheduler callbacks `learning_rate`), so the history, the CSV and TensorBoard loggers show it
 * (put it before them). With several injected learning rates (groups of a `multiTransform`),
 * the others are logged as `lr_<path>`.
 * @throws KaunError (at an epoch end) when there is neither a schedule nor an injected `lr`.
 * @example `callbacks: [Callback.learningRate({ schedule }), Callback.csvLogger('log.csv')]`
 */
export function learningRate(options: LearningRateOptions = {}): Callbacks {
  const fn = 'Callback.learningRate';
  nx.checkOptions(fn, options, KEYS);
  const schedule = options.schedule;
  if (schedule !== undefined && typeof schedule !== 'function') throw new KaunError(`${fn}: schedule must be a function of the step`);
  return {
    kind: 'learningRate',
    onEpochEnd({ logs, state }) {
      if (schedule !== undefined) {
        logs['lr'] = schedule(Math.max(0, state.step - 1));
        return;
      }
      const found = hyperparams(state.optState).filter((h) => 'lr' in h.values);
      if (found.length === 0) throw new KaunError(`${fn}: no schedule given and the optimizer has no injected lr (Optim.injectHyperparams)`);
      found.forEach((h, i) => { logs[i === 0 ? 'lr' : `lr_${h.path.replace(/\./g, '_')}`] = h.values['lr']!; });
    },
  };
}
