/**
 * Layers: values with `init({key, dtype})` giving `{params, state, dtype}` and
 * `apply(vars, x, {training, key, context})` giving `{y, state}`. Sizes are given when a layer
 * is built. Parameter names follow PyTorch (`weight`, `bias`, `running_mean`), so tree paths
 * read like PyTorch and Hugging Face checkpoint keys.
 *
 * @example
 * ```ts
 * import * as nx from '@raven/nx';
 * import { Layer } from '@raven/kaun';
 * const model = Layer.sequential([
 *   Layer.linear({ inFeatures: 2, outFeatures: 8 }), Layer.tanh(),
 *   Layer.linear({ inFeatures: 8, outFeatures: 1 }),
 * ]);
 * const vars = model.init({ key: nx.random.key(0) });
 * const { y } = model.apply(vars, nx.fromArray([[0, 1]]));
 * ```
 * @module
 */
export {
  type Key, type Vars, type InitOptions, type ApplyOptions, type Output, type Layer,
  params, state, withParams, withState,
} from './layer.js';
export * as Activation from './activation.js';
export {
  type GeluOptions, type SoftmaxOptions, type LeakyReluOptions, type EluOptions,
  fn, relu, gelu, silu, tanh, sigmoid, softmax, logSoftmax, leakyRelu, elu, softplus, identity,
} from './activations.js';
export { type LinearOptions, linear } from './linear.js';
export { type CallChild, sequential, compose, named } from './combinators.js';
export { type Pair, type Conv2dPadding, type Conv2dOptions, type Conv1dOptions, conv2d, conv1d } from './conv.js';
export { type Pool2dOptions, type FlattenOptions, type GlobalPoolOptions, maxPool2d, avgPool2d, flatten, globalAvgPool, globalMaxPool } from './pool.js';
export { type ConvTranspose2dOptions, convTranspose2d } from './conv-transpose.js';
export { type GroupNormOptions, groupNorm } from './group-norm.js';
export { type RnnOptions, type RnnInput, type RnnOutput, lstm, gru } from './rnn.js';
export { applyChild } from './trace.js';
export { type SummaryOptions, type SummaryRow, type ModelSummary, summary } from './summary.js';
export { type DropoutOptions, dropout, applyDropout } from './dropout.js';
export { type BatchNormOptions, batchNorm } from './batch-norm.js';
export { type LayerNormOptions, type RmsNormOptions, layerNorm, rmsNorm } from './norm.js';
export { type EmbeddingOptions, embedding } from './embedding.js';
export { type AttentionOptions, type AttentionInput, type MultiHeadAttentionOptions, scaledDotProductAttention, multiHeadAttention } from './attention.js';
