/**
 * Loss functions `(prediction, target, options?) -> Tensor`: scalar by default (`reduction:
 * 'mean'`), `'sum'`, or unreduced with `'none'`. Classification losses take logits.
 *
 * @example
 * ```ts
 * const loss = Loss.softmaxCrossEntropy(logits, labels); // labels: int32 [B] or one-hot [B, C]
 * const trainer = Train.make({ model, optimizer: Optim.adam(), loss: Loss.softmaxCrossEntropy });
 * ```
 * @module
 */
export type { Reduction, ReductionOptions } from './reduce.js';
export {
  softmaxCrossEntropy, sigmoidBinaryCrossEntropy, sigmoidFocalLoss,
  type SoftmaxCrossEntropyOptions, type SigmoidBinaryCrossEntropyOptions, type SigmoidFocalLossOptions,
} from './classification.js';
export { klDivergence, type KlDivergenceOptions } from './divergence.js';
export { cosineEmbedding, type CosineEmbeddingOptions } from './similarity.js';
export { mse, mae, huber, type HuberOptions } from './regression.js';
