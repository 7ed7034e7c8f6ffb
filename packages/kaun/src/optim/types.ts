/**
 * The optimizer interface: a gradient transformation in Optax's shape, a pure value with `init`
 * and `update`.
 * @module
 */
import type { Tree } from '../ptree/index.js';
import type { Schedule } from './schedule.js';

/**
 * A gradient transformation (Optax's `GradientTransformation`): every optimizer, and every piece
 * optimizers are chained from, is one of these. It holds no tensors itself; its state is a
 * {@link Tree} the caller threads from step to step, so the state checkpoints like parameters.
 *
 * Ownership: `update` does not dispose its inputs and returns new tensors (a leaf it leaves
 * unchanged may be returned as is); dispose the old state once the new one is in use, or run
 * the step in `nx.scope` (`Train.step` does both).
 */
export interface Optimizer {
  /**
   * The initial state for parameters shaped like `params` (moments are zeros, step counts 0).
   * @returns a Tree; `{}` for stateless transformations.
   */
  init(params: Tree): Tree;
  /**
   * Transforms gradients into updates and advances the state.
   * @param grads - the gradients, a tree shaped like the parameters.
   * @param state - the state from `init` or the previous `update`.
   * @param params - the current parameters; required by transformations that read them
   *   (weight decay), ignored by the others.
   * @returns `updates` to add to the parameters (see `applyUpdates`) and the new state.
   */
  update(grads: Tree, state: Tree, params?: Tree): { updates: Tree; state: Tree };
}

/** Optax's name for an {@link Optimizer}. */
export type GradientTransformation = Optimizer;

/**
 * A learning rate: a constant, or a schedule of the step (`Optim.Schedule`), evaluated with the
 * step count starting at 0 for the first update.
 */
export type LearningRate = number | Schedule;
