/**
 * Optimizers in Optax's shape: every optimizer is a value `{init, update}` (a gradient
 * transformation) whose state is a {@link Ptree.Tree}, so it checkpoints like the parameters.
 * Ready-made: {@link sgd}, {@link adam}, {@link adamw}, {@link rmsprop}, {@link adagrad} (PyTorch's
 * semantics and defaults). Pieces: {@link scaleByAdam}, {@link scaleByRms}, {@link scaleByRss},
 * {@link trace}, {@link addDecayedWeights}, {@link scaleByLearningRate}, {@link clipByGlobalNorm},
 * {@link chain}. Accumulation: {@link multiSteps}. Per-parameter rules: {@link multiTransform},
 * {@link masked}, {@link freeze}, {@link setToZero}, {@link matchPaths}. Hyperparameters in the
 * state: {@link injectHyperparams}. Schedules are in {@link Schedule}.
 *
 * @example
 * ```ts
 * const opt = Optim.chain(Optim.clipByGlobalNorm(1), Optim.adamw({ lr: 1e-3 }));
 * let optState = opt.init(params);
 * const { updates, state } = opt.update(grads, optState, params);
 * params = Optim.applyUpdates(params, updates);
 * ```
 * @module
 */
export type { Optimizer, GradientTransformation, LearningRate } from './types.js';
export * as Schedule from './schedule.js';
export { scaleByAdam, type ScaleByAdamOptions } from './adam.js';
export { scaleByRms, scaleByRss, type ScaleByRmsOptions, type ScaleByRssOptions } from './rms.js';
export {
  identity, trace, scale, scaleBySchedule, scaleByLearningRate, addDecayedWeights, chain,
  type TraceOptions, type ScaleByLearningRateOptions, type AddDecayedWeightsOptions,
} from './transform.js';
export { clipByGlobalNorm, clip, globalNorm } from './clip.js';
export { applyUpdates } from './apply.js';
export { multiSteps, type MultiStepsOptions } from './accumulate.js';
export {
  setToZero, multiTransform, masked, freeze, matchPaths,
  type ParamPredicate, type MultiTransformOptions, type FreezeOptions,
} from './partition.js';
export { injectHyperparams, hyperparams, setHyperparams, type InjectedHyperparams } from './hyperparams.js';
export {
  sgd, adam, adamw, rmsprop, adagrad,
  type SgdOptions, type AdamOptions, type AdamWOptions, type RmspropOptions, type AdagradOptions,
} from './alias.js';
