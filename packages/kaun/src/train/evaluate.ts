/**
 * Inference loops: evaluate (loss and metrics over data) and predict.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { accumulators, batchSize, collect, epochOf, LossMean } from './_running.js';
import { checkState } from './consumed.js';
import type { Batch, MetricSpec, Trainer, TrainState } from './types.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Metrics to compute; default the trainer's. */
  metrics?: Record<string, MetricSpec>;
}

const EVALUATE_KEYS: nx.OptionKeys<EvaluateOptions> = { metrics: true };

/**
 * The loss and metrics of the model (eval mode: no dropout, batch-norm running statistics) over
 * `data`, each a mean over examples (batches weighted by size). Sums stay on the device and are
 * read once at the end. Batches from a `Data.Dataset` (its epoch 0) are disposed as they are
 * used; batches from other iterables are left to the caller. The state is not changed.
 * @returns `{loss, <metric>: value, ...}`.
 * @throws KaunError when `data` is not iterable.
 * @example `const { loss, accuracy } = Train.evaluate(trainer, state, testBatches);`
 */
export function evaluate<In, Out, Y>(trainer: Trainer<In, Out, Y>, state: TrainState, data: Iterable<Batch<In, Y>>, options: EvaluateOptions = {}): Record<string, number> {
  nx.checkOptions('Train.evaluate', options, EVALUATE_KEYS);
  checkState('Train.evaluate', state);
  const { items, owned } = epochOf('Train.evaluate', data, 0);
  const accs = accumulators(options.metrics ?? trainer.metrics);
  const lossMean = new LossMean();
  try {
    for (const batch of items) {
      try {
        const loss = nx.scope(() => {
          const { y } = trainer.model.apply(state.vars, batch.x, { training: false });
          if (accs.length > 0) {
            const preds = trainer.predictions(y);
            for (const [, acc] of accs) acc.update(preds, batch.y as Tensor);
          }
          return trainer.loss(y, batch.y);
        });
        lossMean.add(loss, batchSize(batch));
      } finally {
        if (owned) nx.dispose(batch);
      }
    }
    const logs: Record<string, number> = { loss: lossMean.read() };
    collect(accs, logs);
    return logs;
  } finally {
    lossMean.dispose();
    for (const [, acc] of accs) acc.reset();
  }
}

/**
 * The model's output in eval mode, for one input tensor or for every batch of `data` (batches
 * `{x, ...}` or bare inputs), concatenated along the first axis. Dataset batches are disposed as
 * they are used.
 * @returns a tensor owned by the caller.
 * @throws KaunError when the model output is not a tensor (for data), or data is empty.
 * @example `const logits = Train.predict(trainer, state, x); // x [n, 784] -> [n, 10]`
 */
export function predict<In, Out, Y>(trainer: Trainer<In, Out, Y>, state: TrainState, input: In | Iterable<Batch<In, Y> | In>): Out {
  checkState('Train.predict', state);
  const run = (x: In): Out => nx.scope(() => trainer.model.apply(state.vars, x, { training: false }).y as nx.Scoped) as Out;
  if (nx.isTensor(input) || input === null || typeof input !== 'object' || typeof (input as Iterable<unknown>)[Symbol.iterator] !== 'function') return run(input as In);
  const { items, owned } = epochOf('Train.predict', input as Iterable<Batch<In, Y> | In>, 0);
  const parts: Tensor[] = [];
  try {
    for (const item of items) {
      try {
        const x = nx.isTensor(item) ? (item as In) : (item as Batch<In, Y>).x;
        const y = run(x);
        if (!nx.isTensor(y)) throw new KaunError('Train.predict: over data, the model output must be a tensor (they are concatenated)');
        parts.push(y);
      } finally {
        if (owned) nx.dispose(item);
      }
    }
    if (parts.length === 0) throw new KaunError('Train.predict: the data gave no batches');
    return (parts.length === 1 ? parts[0]! : nx.concatenate(parts, 0)) as Out;
  } finally {
    if (parts.length > 1) nx.dispose(parts);
  }
}
