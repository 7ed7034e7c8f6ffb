/**
 * Initializers: functions `(key, shape, dtype?) => Tensor` that draw fresh parameters from an
 * explicit `nx.random` key. Fixed schemes are values (`Init.zeros`, `Init.glorotUniform`);
 * schemes with options are factories (`Init.normal({std: 0.02})`). Fans follow PyTorch's layout
 * (`[out, in]`, `[O, C, kh, kw]`), see {@link computeFans}.
 *
 * @example
 * ```ts
 * import * as nx from '@raven/nx';
 * import { Init } from '@raven/kaun';
 * const w = Init.heNormal(nx.random.key(0), [128, 784]); // std sqrt(2/784)
 * ```
 * @module
 */
export {
  type Initializer, type Key, type UniformOptions, type NormalOptions, type TruncatedNormalOptions,
  zeros, ones, constant, uniform, normal, truncatedNormal,
} from './initializer.js';
export {
  type Fans, type FanMode, type Distribution, type VarianceScalingOptions, TRUNCATED_NORMAL_STD,
  computeFans, varianceScaling, glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal,
  torchDefault, torchBias,
} from './variance-scaling.js';
