/**
 * Batch normalization with running statistics in the layer state.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';
import type { Tree } from '../ptree/index.js';
import { checkPositiveInt, fmt, param } from './_util.js';
import { APPLY_KEYS, type Layer } from './layer.js';

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Number of channels `C` (axis 1 of the input). */
  numFeatures: number;
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** Weight of the new batch statistic in the running averages; default 0.1 (PyTorch's convention). */
  momentum?: number;
  /** Learnable `weight` (ones) and `bias` (zeros); default true. */
  affine?: boolean;
  /** Keep running statistics and use them in eval; default true. Without, batch statistics are always used and the state is `{}`. */
  trackRunningStats?: boolean;
}

const BATCH_NORM_KEYS: nx.OptionKeys<BatchNormOptions> = { numFeatures: true, eps: true, momentum: true, affine: true, trackRunningStats: true };

/**
 * Batch normalization over every axis but the channel axis 1, as `torch.nn.BatchNorm1d/2d`.
 *
 * - Input `[N, C]`, `[N, C, L]` or `[N, C, H, W]`; output of the same shape.
 * - Params: `weight` `[C]` (ones), `bias` `[C]` (zeros).
 * - State: `running_mean` `[C]` (zeros), `running_var` `[C]` (ones), `num_batches_tracked` `[]` (int32).
 * - Training: normalises with the batch mean and biased variance, and returns the new state
 *   `running = (1 - momentum) running + momentum batch`, with the unbiased batch variance
 *   (`n / (n - 1)`) for `running_var`, as PyTorch. Eval: normalises with the running statistics
 *   and returns the state unchanged. `apply` never frees the old state.
 * @throws LayerError for invalid options, or (at apply) an input whose axis 1 is not `C`.
 * @example `Layer.sequential([Layer.conv2d({...}), Layer.batchNorm({ numFeatures: 32 }), Layer.relu()])`
 */
export function batchNorm(options: BatchNormOptions): Layer {
  nx.checkOptions('Layer.batchNorm', options, BATCH_NORM_KEYS);
  const fn = 'Layer.batchNorm';
  const c = options.numFeatures;
  checkPositiveInt(fn, 'numFeatures', c);
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  if (!(eps >= 0)) throw new LayerError(`${fn}: eps must be >= 0, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new LayerError(`${fn}: momentum must be in [0, 1], got ${momentum}`);
  const affine = options.affine ?? true;
  const track = options.trackRunningStats ?? true;
  return {
    kind: 'batchNorm',
    init({ dtype = 'float32' }) {
      const params: Record<string, Tree> = affine ? { weight: nx.ones([c], dtype), bias: nx.zeros([c], dtype) } : {};
      const state: Record<string, Tree> = track
        ? { running_mean: nx.zeros([c], dtype), running_var: nx.ones([c], dtype), num_batches_tracked: nx.zeros([], 'int32') }
        : {};
      return { params, state, dtype };
    },
    apply(vars, x, o = {}) {
      nx.checkOptions(`${fn}: apply`, o, APPLY_KEYS);
      if (x.rank < 2 || x.shape[1] !== c) throw new LayerError(`${fn}: expected input [N, ${c}, ...] (channels on axis 1), got shape ${fmt(x.shape)}`);
      const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
      const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
      const w = affine ? param(fn, vars.params, 'weight') : undefined;
      const b = affine ? param(fn, vars.params, 'bias') : undefined;
      const affineOut = (normed: Tensor): Tensor => {
        if (w === undefined || b === undefined) return normed;
        return nx.add(nx.mul(normed, nx.reshape(w, bshape)), nx.reshape(b, bshape));
      };
      if (o.training || !track) {
        const n = x.size / c;
        if (o.training && n <= 1) throw new LayerError(`${fn}: training needs more than one value per channel, got input shape ${fmt(x.shape)}`);
        return nx.scope(() => {
          const mean = nx.mean(x, { axis: axes, keepDims: true });
          const xc = nx.sub(x, mean);
          const variance = nx.mean(nx.square(xc), { axis: axes, keepDims: true });
          const y = affineOut(nx.mul(xc, nx.rsqrt(nx.add(variance, eps))));
          if (!o.training || !track) return { y, state: vars.state };
          const rm = param(fn, vars.state, 'running_mean');
          const rv = param(fn, vars.state, 'running_var');
          const batchMean = nx.stopGradient(nx.reshape(mean, [c]));
          const unbiased = nx.stopGradient(nx.mul(nx.reshape(variance, [c]), n / (n - 1)));
          const state: Record<string, Tree> = {
            running_mean: nx.add(nx.mul(rm, 1 - momentum), nx.mul(batchMean, momentum)),
            running_var: nx.add(nx.mul(rv, 1 - momentum), nx.mul(unbiased, momentum)),
          };
          const nbt = (vars.state as Record<string, Tree>)['num_batches_tracked'];
          if (nx.isTensor(nbt)) state['num_batches_tracked'] = nx.add(nbt, 1);
          return { y, state };
        });
      }
      const rm = param(fn, vars.state, 'running_mean');
      const rv = param(fn, vars.state, 'running_var');
      const y = nx.scope(() => {
        // eval: x * scale + shift with per-channel scale = w / sqrt(rv + eps), shift = b - rm * scale
        let scale = nx.rsqrt(nx.add(rv, eps));
        if (w !== undefined) scale = nx.mul(scale, w);
        let shift = nx.neg(nx.mul(rm, scale));
        if (b !== undefined) shift = nx.add(shift, b);
        return nx.add(nx.mul(x, nx.reshape(scale, bshape)), nx.reshape(shift, bshape));
      });
      return { y, state: vars.state };
    },
  };
}
