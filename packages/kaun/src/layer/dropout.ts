/**
 * Dropout: the {@link dropout} layer and the {@link applyDropout} function.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';
import { APPLY_KEYS, type Key, type Layer } from './layer.js';

function checkRate(fn: string, rate: unknown): void {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new LayerError(`${fn}: rate must be a number in [0, 1), got ${String(rate)}`);
}

/**
 * Inverted dropout of a tensor: each element is zeroed with probability `rate` and the others
 * are scaled by `1 / (1 - rate)`, so the expectation is unchanged. The mask is drawn from `key`
 * with `nx.random.bernoulli` (element kept where `uniform < 1 - rate`, as JAX's); the same key
 * gives the same mask.
 * @param rate - drop probability in `[0, 1)`; 0 returns `x` itself.
 * @param key - the PRNG key of the mask; required when `rate > 0`.
 * @param fn - the name error messages start with; default `'Layer.applyDropout'` (layers pass their own).
 * @throws LayerError for a rate outside `[0, 1)` or a missing key when `rate > 0`.
 * @example `Layer.applyDropout(x, 0.1, key)`
 */
export function applyDropout(x: Tensor, rate: number, key: Key | undefined, fn = 'Layer.applyDropout'): Tensor {
  checkRate(fn, rate);
  if (rate === 0) return x;
  if (key === undefined) throw new LayerError(`${fn}: dropout is active (training with rate ${rate}) but no key was given; pass apply(vars, x, { training: true, key })`);
  // the mask is a tensor sampler's draw, so inside nx.jit it is drawn again at every call
  const scale = 1 / (1 - rate);
  return nx.scope(() => nx.mul(x, nx.mul(nx.cast(nx.random.bernoulli(key, 1 - rate, x.shape), 'float32'), nx.scalar(scale))));
}

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Probability of zeroing an element, in `[0, 1)`. */
  rate: number;
}

const DROPOUT_KEYS: nx.OptionKeys<DropoutOptions> = { rate: true };

/**
 * Dropout layer, as `torch.nn.Dropout`: identity when not training; in training, inverted
 * dropout ({@link applyDropout}) with the apply key. No parameters, no state; output shape = input shape.
 * @throws LayerError for a rate outside `[0, 1)`, or (at apply, in training with `rate > 0`) when no key is given.
 * @example `model.apply(vars, x, { training: true, key: nx.random.key(step) })`
 */
export function dropout(options: DropoutOptions): Layer {
  nx.checkOptions('Layer.dropout', options, DROPOUT_KEYS);
  const fn = 'Layer.dropout';
  checkRate(fn, options.rate);
  const rate = options.rate;
  return {
    kind: 'dropout',
    init: ({ dtype = 'float32' }) => ({ params: {}, state: {}, dtype }),
    apply(vars, x, o = {}) {
      nx.checkOptions(`${fn}: apply`, o, APPLY_KEYS);
      if (!o.training || rate === 0) return { y: x, state: vars.state };
      return { y: applyDropout(x, rate, o.key, fn), state: vars.state };
    },
  };
}
