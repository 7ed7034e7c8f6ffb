/**
 * Training: {@link make} bundles a model, an optimizer, a loss and metrics; {@link makeState}
 * starts a {@link TrainState}; {@link step} does one update; {@link fit} runs epochs with
 * validation, callbacks, early stopping and progress; {@link evaluate} and {@link predict} run
 * the model in eval mode; {@link vars} gives the variables back.
 *
 * @example
 * ```ts
 * const model = Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(),
 *   Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
 * const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy,
 *   metrics: { accuracy: Metric.accuracy } });
 * let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
 * ({ state } = await Train.fit(trainer, state, trainBatches, { epochs: 3, validation: testBatches }));
 * console.log(Train.evaluate(trainer, state, testBatches)); // { loss, accuracy }
 * ```
 * @module
 */
export type {
  Batch, LossFn, MetricSpec, TrainerOptions, TrainJitOptions, Trainer, AnyTrainer, TrainState, BatchEndInfo, EpochEndInfo, Callbacks,
  FitPosition, FitPositionCapture,
} from './types.js';
export { make, makeState, vars, type MakeStateOptions } from './make.js';
export { step, type StepOptions, type StepResult } from './step.js';
export { fit, type FitOptions, type FitResult } from './fit.js';
export { evaluate, predict, type EvaluateOptions } from './evaluate.js';
export type { EarlyStoppingOptions } from './early-stopping.js';
export type { ProgressMode } from './progress.js';
export type { NonFiniteMode } from './finite.js';
