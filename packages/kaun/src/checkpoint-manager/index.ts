/**
 * A checkpoint manager for `Train.fit`: saves the whole training state every N steps and/or
 * every epoch into `checkpoint-<step>` folders, keeps the last K and the best by a monitored
 * value, and resumes a killed run exactly with `fit`'s `resumeFrom` (Keras' `ModelCheckpoint` and
 * `BackupAndRestore`, HF Trainer's `save_steps`, `save_total_limit`, `load_best_model_at_end`,
 * `resume_from_checkpoint`).
 *
 * @example
 * ```ts
 * import { CheckpointManager, Train } from '@raven/kaun';
 * const manager = CheckpointManager.make({ dir: 'runs/a', saveSteps: 200, keepLast: 2, monitor: 'val_loss' });
 * const { state: trained } = await Train.fit(trainer, state, train, {
 *   epochs: 5, validation: val, callbacks: [manager], resumeFrom: 'latest' });
 * ```
 * @module
 */
export { make, type CheckpointManager, type CheckpointManagerOptions } from './manager.js';
export { listCheckpoints, type CheckpointEntry } from './layout.js';
