/**
 * `@raven/kaun`: neural networks in TypeScript, in the shape of the OCaml framework Kaun.
 *
 * - {@link Ptree}: parameter trees (tensors, lists, string-keyed dicts); paths are checkpoint keys.
 * - {@link Init}, {@link Layer}: initialisers and layers as values with `init` and `apply`.
 * - {@link Loss}, {@link Metric}, {@link Optim} (with `Optim.Schedule`), {@link Data}, {@link Train}.
 * - {@link Checkpoint}: safetensors save/load, sharding, whole training state.
 * - {@link Datasets}: MNIST and Fashion-MNIST.
 * - {@link Callback}: built-in `fit` callbacks (plateau learning rate, CSV/JSONL/TensorBoard logging).
 * - {@link CheckpointManager}: periodic, rotating, best-keeping checkpoints for `Train.fit`, and exact resumption.
 * @module @raven/kaun
 */
export * from './errors.js';
export * as Ptree from './ptree/index.js';
export * as Init from './init/index.js';
export * as Layer from './layer/index.js';
export * as Loss from './loss/index.js';
export * as Metric from './metric/index.js';
export * as Optim from './optim/index.js';
export * as Data from './data/index.js';
export * as Train from './train/index.js';
export * as Checkpoint from './checkpoint/index.js';
export * as Datasets from './datasets/index.js';
export * as CheckpointManager from './checkpoint-manager/index.js';
export * as Callback from './callback/index.js';
