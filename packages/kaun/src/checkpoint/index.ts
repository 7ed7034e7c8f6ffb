/**
 * Checkpoints in the safetensors format: save and load parameter trees (keys are the tree paths,
 * `encoder.layer.0.attention.self.query.weight`), layer state and optimizer state; sharded files
 * with a Hugging Face style `model.safetensors.index.json`; files written by PyTorch and Hugging
 * Face load too. The format itself lives in `nx.io`; storage dtypes in `nx.dtypes`.
 *
 * Loading 'without a template' rebuilds the tree from the key paths ({@link load}) or returns
 * a flat record ({@link loadFlat}); with a template (`{ like }`) it checks keys and shapes first
 * and casts to the template's dtypes.
 *
 * Whole training state: {@link saveTraining} / {@link loadTraining} store a `Train` state
 * (parameters, model state, optimizer state, step, dropout key) so training resumes exactly;
 * {@link saveTrees} / {@link loadTrees} store any named trees (`{ params, state, opt }`) with
 * JSON extras.
 *
 * @example
 * ```ts
 * import { Checkpoint } from '@raven/kaun';
 * await Checkpoint.save('out/model.safetensors', params);
 * const restored = await Checkpoint.load('out/model.safetensors', { like: params });
 * await Checkpoint.save('out/big.safetensors', params, { maxShardSize: '500MB' });
 * ```
 * @module
 */
export { save, type SaveOptions } from './save.js';
export { load, loadFlat, info, type LoadOptions, type LoadFlatOptions, type FlatCheckpoint, type CheckpointInfo } from './load.js';
export { saveTrees, loadTrees, type SaveTreesOptions, type LoadTreesOptions, type LoadedTrees } from './trees.js';
export { saveTraining, loadTraining, type LoadTrainingOptions, type LoadedTraining } from './training.js';
export { parseSize } from './size.js';
