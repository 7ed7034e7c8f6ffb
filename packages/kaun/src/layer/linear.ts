/**
 * The fully connected layer.
 * @module
 */
import * as nx from '@raven/nx';
import { LayerError } from '../errors.js';
import { type Initializer, torchBias, torchDefault } from '../init/index.js';
import type { Tree } from '../ptree/index.js';
import { checkPositiveInt, fmt, optionalParam, param } from './_util.js';
import type { Layer } from './layer.js';

/** Options of {@link linear}. */
export interface LinearOptions {
  /** Size of the input's last axis. */
  inFeatures: number;
  /** Size of the output's last axis. */
  outFeatures: number;
  /** Whether to add a bias; default true. */
  bias?: boolean;
  /**
   * Weight initializer, called with shape `[outFeatures, inFeatures]`; default PyTorch's
   * `U(-1/sqrt(inFeatures), 1/sqrt(inFeatures))` ({@link Init.torchDefault}).
   */
  weightInit?: Initializer;
  /** Bias initializer; default PyTorch's `U(-1/sqrt(inFeatures), 1/sqrt(inFeatures))`. */
  biasInit?: Initializer;
}

const LINEAR_KEYS: nx.OptionKeys<LinearOptions> = { inFeatures: true, outFeatures: true, bias: true, weightInit: true, biasInit: true };

/**
 * A fully connected layer `y = x W^T + b`, as `torch.nn.Linear`.
 *
 * - Input `[..., inFeatures]`, output `[..., outFeatures]`.
 * - Params: `weight` `[outFeatures, inFeatures]`, `bias` `[outFeatures]` (absent with `bias: false`).
 * - State: none.
 * @throws LayerError when the sizes are not positive integers, or (at apply) when the input's
 * last axis is not `inFeatures`.
 * @example
 * ```ts
 * const layer = Layer.linear({ inFeatures: 784, outFeatures: 128 });
 * const vars = layer.init({ key: nx.random.key(0) });
 * const { y } = layer.apply(vars, x); // x [batch, 784] -> y [batch, 128]
 * ```
 */
export function linear(options: LinearOptions): Layer {
  nx.checkOptions('Layer.linear', options, LINEAR_KEYS);
  const fn = 'Layer.linear';
  const { inFeatures, outFeatures } = options;
  checkPositiveInt(fn, 'inFeatures', inFeatures);
  checkPositiveInt(fn, 'outFeatures', outFeatures);
  const useBias = options.bias ?? true;
  const weightInit = options.weightInit ?? torchDefault;
  const biasInit = options.biasInit ?? torchBias(inFeatures);
  return {
    kind: 'linear',
    init({ key, dtype = 'float32' }) {
      const [kw, kb] = nx.random.split(key, 2);
      const params: Record<string, Tree> = { weight: weightInit(kw!, [outFeatures, inFeatures], dtype) };
      if (useBias) params['bias'] = biasInit(kb!, [outFeatures], dtype);
      return { params, state: {}, dtype };
    },
    apply(vars, x) {
      const w = param(fn, vars.params, 'weight');
      const b = useBias ? param(fn, vars.params, 'bias') : optionalParam(fn, vars.params, 'bias');
      if (x.shape[x.rank - 1] !== inFeatures) throw new LayerError(`${fn}: expected input with last axis ${inFeatures}, got shape ${fmt(x.shape)}`);
      // x @ w^T + b with the transposed-operand flag: no w^T copy is kept for the backward pass
      const y = nx.linear(x, w, b);
      return { y, state: vars.state };
    },
  };
}
