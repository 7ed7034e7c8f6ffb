/**
 * The two MNIST models: an MLP and a small CNN (LeNet-like), both taking `[batch, 784]` pixels
 * scaled to [0, 1] and giving 10 logits.
 * @module
 */
import * as nx from '@raven/nx';
import { Layer } from '@raven/kaun';

/** The models the example offers. */
export type ModelName = 'mlp' | 'cnn';

/** Hidden units of the MLP. */
export const MLP_HIDDEN = 256;

/** 784 -> 256 -> 10 with ReLU. Params: `0.weight` [256, 784], `0.bias`, `2.weight` [10, 256], `2.bias`. */
export function mlp(): Layer.Layer {
  return Layer.sequential([
    Layer.linear({ inFeatures: 784, outFeatures: MLP_HIDDEN }),
    Layer.relu(),
    Layer.linear({ inFeatures: MLP_HIDDEN, outFeatures: 10 }),
  ]);
}

/**
 * conv 5x5 (1 -> 16) -> ReLU -> max-pool 2 -> conv 5x5 (16 -> 32) -> ReLU -> max-pool 2 ->
 * flatten (32 * 4 * 4) -> linear 512 -> 10. Input pixels `[batch, 784]` are reshaped to
 * `[batch, 1, 28, 28]` (NCHW) first.
 */
export function cnn(): Layer.Layer {
  const toImage = Layer.fn((x: nx.Tensor) => nx.reshape(x, [-1, 1, 28, 28]));
  return Layer.sequential([
    toImage,
    Layer.conv2d({ inChannels: 1, outChannels: 16, kernelSize: 5 }),
    Layer.relu(),
    Layer.maxPool2d({ kernelSize: 2 }),
    Layer.conv2d({ inChannels: 16, outChannels: 32, kernelSize: 5 }),
    Layer.relu(),
    Layer.maxPool2d({ kernelSize: 2 }),
    Layer.flatten(),
    Layer.linear({ inFeatures: 32 * 4 * 4, outFeatures: 10 }),
  ]);
}

/** The model by name. */
export function model(name: ModelName): Layer.Layer {
  return name === 'cnn' ? cnn() : mlp();
}
