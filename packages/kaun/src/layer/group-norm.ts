/**
 * Group normalization.
 * @module
 */
import * as nx from '@raven/nx';
import { LayerError } from '../errors.js';
import type { Tree } from '../ptree/index.js';
import { checkPositiveInt, fmt, param } from './_util.js';
import type { Layer } from './layer.js';

/** Options of {@link groupNorm}. */
export interface GroupNormOptions {
  /** Groups `G` the channels are split into (must divide `numChannels`). */
  numGroups: number;
  /** Channels `C` (axis 1 of the input). */
  numChannels: number;
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** Learnable per-channel `weight` (ones) and `bias` (zeros); default true. */
  affine?: boolean;
}

const KEYS: nx.OptionKeys<GroupNormOptions> = { numGroups: true, numChannels: true, eps: true, affine: true };

/**
 * Group normalization (Wu and He 2018), as `torch.nn.GroupNorm`: the channels are split into
 * `numGroups` groups and each example is normalised over each group's channels and all spatial
 * positions, `(x - mean) / sqrt(var + eps)` (biased variance), then scaled and shifted per
 * channel. Independent of the batch size; `numGroups = 1` is layer norm over `[C, ...]`,
 * `numGroups = C` is instance norm.
 *
 * - Input `[N, C, ...]` (any number of spatial axes); output of the same shape.
 * - Params: `weight` and `bias` `[C]` (absent without `affine`). No state.
 * @throws LayerError for invalid options, or (at apply) an input without `C` channels on axis 1.
 * @example `Layer.groupNorm({ numGroups: 8, numChannels: 64 })`
 */
export function groupNorm(options: GroupNormOptions): Layer {
  const fn = 'Layer.groupNorm';
  nx.checkOptions(fn, options, KEYS);
  const { numGroups: g, numChannels: c } = options;
  checkPositiveInt(fn, 'numGroups', g);
  checkPositiveInt(fn, 'numChannels', c);
  if (c % g !== 0) throw new LayerError(`${fn}: numGroups ${g} must divide numChannels ${c}`);
  const eps = options.eps ?? 1e-5;
  if (!(typeof eps === 'number' && eps >= 0)) throw new LayerError(`${fn}: eps must be a non-negative number, got ${String(eps)}`);
  const affine = options.affine ?? true;
  return {
    kind: 'groupNorm',
    init({ dtype = 'float32' }) {
      const params: Record<string, Tree> = affine ? { weight: nx.ones([c], dtype), bias: nx.zeros([c], dtype) } : {};
      return { params, state: {}, dtype };
    },
    apply(vars, x) {
      if (x.rank < 2 || x.shape[1] !== c) throw new LayerError(`${fn}: expected input [N, ${c}, ...], got shape ${fmt(x.shape)}`);
      const w = affine ? param(fn, vars.params, 'weight') : undefined;
      const b = affine ? param(fn, vars.params, 'bias') : undefined;
      const y = nx.scope(() => {
        const grouped = nx.reshape(x, [x.shape[0]!, g, -1]);
        const xc = nx.sub(grouped, nx.mean(grouped, { axis: 2, keepDims: true }));
        const variance = nx.mean(nx.square(xc), { axis: 2, keepDims: true });
        let out = nx.reshape(nx.mul(xc, nx.rsqrt(nx.add(variance, eps))), x.shape);
        const chan = [1, c, ...x.shape.slice(2).map(() => 1)];
        if (w !== undefined) out = nx.mul(out, nx.reshape(w, chan));
        if (b !== undefined) out = nx.add(out, nx.reshape(b, chan));
        return out;
      });
      return { y, state: vars.state };
    },
  };
}
