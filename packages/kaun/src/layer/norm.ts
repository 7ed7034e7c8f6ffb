/**
 * Layer normalization and RMS normalization over the trailing axes.
 * @module
 */
import * as nx from '@raven/nx';
import { LayerError } from '../errors.js';
import type { Tree } from '../ptree/index.js';
import { fmt, param } from './_util.js';
import type { Layer } from './layer.js';

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** The trailing shape normalised over (PyTorch's `normalized_shape`); give this or `dim`. */
  normalizedShape?: number | number[];
  /** Shorthand for `normalizedShape: [dim]`. */
  dim?: number;
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** Learnable `weight` (ones) and `bias` (zeros); default true. */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, whether to have a `bias`; default true. */
  bias?: boolean;
}

const LAYER_NORM_KEYS: nx.OptionKeys<LayerNormOptions> = { normalizedShape: true, dim: true, eps: true, elementwiseAffine: true, bias: true };

function normShape(fn: string, o: { normalizedShape?: number | number[]; dim?: number }): number[] {
  const s = o.normalizedShape ?? o.dim;
  if (s === undefined) throw new LayerError(`${fn}: give normalizedShape or dim`);
  if (o.normalizedShape !== undefined && o.dim !== undefined) throw new LayerError(`${fn}: give normalizedShape or dim, not both`);
  const shape = typeof s === 'number' ? [s] : s;
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new LayerError(`${fn}: normalizedShape must be positive integers, got ${JSON.stringify(s)}`);
  return [...shape];
}

function checkTrailing(fn: string, x: nx.Tensor, shape: number[]): number[] {
  const k = shape.length;
  if (x.rank < k || !shape.every((d, i) => x.shape[x.rank - k + i] === d)) {
    throw new LayerError(`${fn}: expected input ending in ${fmt(shape)}, got shape ${fmt(x.shape)}`);
  }
  return shape.map((_, i) => x.rank - k + i);
}

/**
 * Layer normalization, as `torch.nn.LayerNorm`: `(x - mean) / sqrt(var + eps) * weight + bias`
 * with mean and biased variance over the trailing `normalizedShape` axes.
 *
 * - Input `[..., *normalizedShape]`; output of the same shape.
 * - Params: `weight` and `bias` of shape `normalizedShape` (absent without `elementwiseAffine`).
 * @throws LayerError for invalid options, or (at apply) an input not ending in `normalizedShape`.
 * @example `Layer.layerNorm({ dim: 768, eps: 1e-12 })` (BERT)
 */
export function layerNorm(options: LayerNormOptions): Layer {
  nx.checkOptions('Layer.layerNorm', options, LAYER_NORM_KEYS);
  const fn = 'Layer.layerNorm';
  const shape = normShape(fn, options);
  const eps = options.eps ?? 1e-5;
  const affine = options.elementwiseAffine ?? true;
  const useBias = affine && (options.bias ?? true);
  return {
    kind: 'layerNorm',
    init({ dtype = 'float32' }) {
      const params: Record<string, Tree> = {};
      if (affine) params['weight'] = nx.ones(shape, dtype);
      if (useBias) params['bias'] = nx.zeros(shape, dtype);
      return { params, state: {}, dtype };
    },
    apply(vars, x) {
      const axes = checkTrailing(fn, x, shape);
      const w = affine ? param(fn, vars.params, 'weight') : undefined;
      const b = useBias ? param(fn, vars.params, 'bias') : undefined;
      const y = nx.scope(() => {
        const xc = nx.sub(x, nx.mean(x, { axis: axes, keepDims: true }));
        const variance = nx.mean(nx.square(xc), { axis: axes, keepDims: true });
        let out = nx.mul(xc, nx.rsqrt(nx.add(variance, eps)));
        if (w !== undefined) out = nx.mul(out, w);
        if (b !== undefined) out = nx.add(out, b);
        return out;
      });
      return { y, state: vars.state };
    },
  };
}

/** Options of {@link rmsNorm}. */
export interface RmsNormOptions {
  /** The trailing shape normalised over; give this or `dim`. */
  normalizedShape?: number | number[];
  /** Shorthand for `normalizedShape: [dim]`. */
  dim?: number;
  /** Added to the mean square; default 1e-6 (as Llama and Kaun). */
  eps?: number;
  /** Learnable `weight` (ones); default true. */
  elementwiseAffine?: boolean;
}

const RMS_NORM_KEYS: nx.OptionKeys<RmsNormOptions> = { normalizedShape: true, dim: true, eps: true, elementwiseAffine: true };

/**
 * RMS normalization, as `torch.nn.RMSNorm`: `x / sqrt(mean(x^2) + eps) * weight` over the
 * trailing `normalizedShape` axes.
 *
 * - Input `[..., *normalizedShape]`; output of the same shape.
 * - Params: `weight` of shape `normalizedShape` (absent without `elementwiseAffine`).
 * @throws LayerError for invalid options, or (at apply) an input not ending in `normalizedShape`.
 */
export function rmsNorm(options: RmsNormOptions): Layer {
  nx.checkOptions('Layer.rmsNorm', options, RMS_NORM_KEYS);
  const fn = 'Layer.rmsNorm';
  const shape = normShape(fn, options);
  const eps = options.eps ?? 1e-6;
  const affine = options.elementwiseAffine ?? true;
  return {
    kind: 'rmsNorm',
    init({ dtype = 'float32' }) {
      const params: Record<string, Tree> = affine ? { weight: nx.ones(shape, dtype) } : {};
      return { params, state: {}, dtype };
    },
    apply(vars, x) {
      const axes = checkTrailing(fn, x, shape);
      const w = affine ? param(fn, vars.params, 'weight') : undefined;
      const y = nx.scope(() => {
        const out = nx.mul(x, nx.rsqrt(nx.add(nx.mean(nx.square(x), { axis: axes, keepDims: true }), eps)));
        return w === undefined ? out : nx.mul(out, w);
      });
      return { y, state: vars.state };
    },
  };
}
