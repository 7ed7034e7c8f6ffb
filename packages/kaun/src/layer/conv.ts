/**
 * Convolution layers in PyTorch's layout: {@link conv1d} (NCL) and {@link conv2d} (NCHW).
 * @module
 */
import * as nx from '@raven/nx';
import { LayerError } from '../errors.js';
import { type Initializer, torchBias, torchDefault } from '../init/index.js';
import type { Tree } from '../ptree/index.js';
import { checkPositiveInt, fmt, param } from './_util.js';
import type { Layer } from './layer.js';

/** A size per spatial axis, or one size for both. */
export type Pair = number | [number, number];

/**
 * Padding of {@link conv2d}: `'valid'` (none), `'same'` (TF's rule: output length
 * `ceil(in / stride)`), a number `p` for `p` on every side, `[ph, pw]` for `ph` above and below
 * and `pw` left and right, or explicit `[[top, bottom], [left, right]]`.
 */
export type Conv2dPadding = 'same' | 'valid' | number | [number, number] | [[number, number], [number, number]];

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Input channels `C`. */
  inChannels: number;
  /** Output channels `O`. */
  outChannels: number;
  /** Kernel size `kh, kw`. */
  kernelSize: Pair;
  /** Stride; default 1. */
  stride?: Pair;
  /** Padding; default 0 (`'valid'`), as PyTorch. */
  padding?: Conv2dPadding;
  /** Dilation; default 1. */
  dilation?: Pair;
  /** Channel groups: input and output channels split into `groups` independent convolutions (both must be divisible); default 1. */
  groups?: number;
  /** Whether to add a bias; default true. */
  bias?: boolean;
  /** Weight initializer for `[O, C, kh, kw]`; default PyTorch's `U(-1/sqrt(C kh kw), 1/sqrt(C kh kw))`. */
  weightInit?: Initializer;
  /** Bias initializer; default PyTorch's `U(-1/sqrt(C kh kw), 1/sqrt(C kh kw))`. */
  biasInit?: Initializer;
}

const CONV2D_KEYS: nx.OptionKeys<Conv2dOptions> = { inChannels: true, outChannels: true, kernelSize: true, stride: true, padding: true, dilation: true, groups: true, bias: true, weightInit: true, biasInit: true };

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

function checkPair(fn: string, name: string, v: Pair, allowZero = false): [number, number] {
  const p = pair(v);
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && (allowZero ? d >= 0 : d > 0))) {
    throw new LayerError(`${fn}: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

function convPadding(fn: string, p: Conv2dPadding): nx.Padding {
  if (p === 'same' || p === 'valid') return p;
  if (typeof p === 'number') {
    checkPair(fn, 'padding', p, true);
    return p === 0 ? 'valid' : [[p, p], [p, p]];
  }
  if (Array.isArray(p) && p.length === 2 && typeof p[0] === 'number' && typeof p[1] === 'number') {
    const [ph, pw] = checkPair(fn, 'padding', p as [number, number], true);
    return [[ph, ph], [pw, pw]];
  }
  if (Array.isArray(p) && p.length === 2 && p.every((q) => Array.isArray(q) && q.length === 2 && q.every((d) => Number.isInteger(d) && d >= 0))) {
    return p as Array<[number, number]>;
  }
  throw new LayerError(`${fn}: padding must be 'same', 'valid', a number, [ph, pw] or [[top, bottom], [left, right]], got ${JSON.stringify(p)}`);
}

function convLayer(fn: string, rank: 1 | 2, o: { inChannels: number; outChannels: number; kernel: number[]; bias: boolean; weightInit?: Initializer; biasInit?: Initializer; groups?: number }, run: (x: nx.Tensor, w: nx.Tensor) => nx.Tensor): Layer {
  checkPositiveInt(fn, 'inChannels', o.inChannels);
  checkPositiveInt(fn, 'outChannels', o.outChannels);
  const groups = o.groups ?? 1;
  checkPositiveInt(fn, 'groups', groups);
  if (o.inChannels % groups !== 0 || o.outChannels % groups !== 0) {
    throw new LayerError(`${fn}: groups ${groups} must divide inChannels (${o.inChannels}) and outChannels (${o.outChannels})`);
  }
  const wShape = [o.outChannels, o.inChannels / groups, ...o.kernel];
  const fanIn = (o.inChannels / groups) * o.kernel.reduce((a, b) => a * b, 1);
  const weightInit = o.weightInit ?? torchDefault;
  const biasInit = o.biasInit ?? torchBias(fanIn);
  const biasShape = rank === 2 ? [1, o.outChannels, 1, 1] : [1, o.outChannels, 1];
  const inRank = rank + 2;
  return {
    kind: rank === 2 ? 'conv2d' : 'conv1d',
    init({ key, dtype = 'float32' }) {
      const [kw, kb] = nx.random.split(key, 2);
      const params: Record<string, Tree> = { weight: weightInit(kw!, wShape, dtype) };
      if (o.bias) params['bias'] = biasInit(kb!, [o.outChannels], dtype);
      return { params, state: {}, dtype };
    },
    apply(vars, x) {
      const w = param(fn, vars.params, 'weight');
      if (x.rank !== inRank || x.shape[1] !== o.inChannels) {
        throw new LayerError(`${fn}: expected input ${rank === 2 ? '[N, C, H, W]' : '[N, C, L]'} with C = ${o.inChannels}, got shape ${fmt(x.shape)}`);
      }
      const y = nx.scope(() => {
        const z = run(x, w);
        return o.bias ? nx.add(z, nx.reshape(param(fn, vars.params, 'bias'), biasShape)) : z;
      });
      return { y, state: vars.state };
    },
  };
}

/**
 * 2-d convolution (cross-correlation), as `torch.nn.Conv2d`, grouped convolutions included.
 *
 * - Input `[N, C, H, W]`; output `[N, O, H', W']` with, per axis,
 *   `H' = floor((H + padTotal - dilation (k - 1) - 1) / stride) + 1` (`'same'`: `ceil(H / stride)`).
 * - Params: `weight` `[O, C / groups, kh, kw]`, `bias` `[O]`.
 * - `groups`: channels split into independent convolutions (`groups = C` is a depthwise convolution).
 * @throws LayerError for invalid sizes, `groups` not dividing both channel counts, or (at apply) an input that is not `[N, C, H, W]`.
 * @example `Layer.conv2d({ inChannels: 1, outChannels: 32, kernelSize: 3, padding: 'same' })`
 */
export function conv2d(options: Conv2dOptions): Layer {
  nx.checkOptions('Layer.conv2d', options, CONV2D_KEYS);
  const fn = 'Layer.conv2d';
  const kernel = checkPair(fn, 'kernelSize', options.kernelSize);
  const stride = checkPair(fn, 'stride', options.stride ?? 1);
  const dilation = checkPair(fn, 'dilation', options.dilation ?? 1);
  const padding = convPadding(fn, options.padding ?? 'valid');
  return convLayer(fn, 2, { ...options, kernel, bias: options.bias ?? true }, (x, w) => nx.conv2d(x, w, { stride, dilation, padding, groups: options.groups ?? 1 }));
}

/** Options of {@link conv1d}. */
export interface Conv1dOptions {
  /** Input channels `C`. */
  inChannels: number;
  /** Output channels `O`. */
  outChannels: number;
  /** Kernel length `k`. */
  kernelSize: number;
  /** Stride; default 1. */
  stride?: number;
  /** `'valid'` (default), `'same'`, a number `p` for both sides, or `[before, after]`. */
  padding?: 'same' | 'valid' | number | [number, number];
  /** Dilation; default 1. */
  dilation?: number;
  /** Channel groups: input and output channels split into `groups` independent convolutions (both must be divisible); default 1. */
  groups?: number;
  /** Whether to add a bias; default true. */
  bias?: boolean;
  /** Weight initializer for `[O, C, k]`; default PyTorch's `U(-1/sqrt(C k), 1/sqrt(C k))`. */
  weightInit?: Initializer;
  /** Bias initializer; default PyTorch's `U(-1/sqrt(C k), 1/sqrt(C k))`. */
  biasInit?: Initializer;
}

const CONV1D_KEYS: nx.OptionKeys<Conv1dOptions> = { inChannels: true, outChannels: true, kernelSize: true, stride: true, padding: true, dilation: true, groups: true, bias: true, weightInit: true, biasInit: true };

/**
 * 1-d convolution (cross-correlation), as `torch.nn.Conv1d` (grouped too).
 *
 * - Input `[N, C, L]`; output `[N, O, L']`, `L' = floor((L + padTotal - dilation (k - 1) - 1) / stride) + 1`.
 * - Params: `weight` `[O, C / groups, k]`, `bias` `[O]`.
 * @throws LayerError for invalid sizes or (at apply) an input that is not `[N, C, L]`.
 */
export function conv1d(options: Conv1dOptions): Layer {
  nx.checkOptions('Layer.conv1d', options, CONV1D_KEYS);
  const fn = 'Layer.conv1d';
  checkPositiveInt(fn, 'kernelSize', options.kernelSize);
  const stride = options.stride ?? 1;
  const dilation = options.dilation ?? 1;
  checkPositiveInt(fn, 'stride', stride);
  checkPositiveInt(fn, 'dilation', dilation);
  const p = options.padding ?? 'valid';
  let padding: nx.Conv1dOptions['padding'];
  if (p === 'same' || p === 'valid') padding = p;
  else {
    const [a, b] = checkPair(fn, 'padding', p, true);
    padding = a === 0 && b === 0 ? 'valid' : [[a, b]];
  }
  return convLayer(fn, 1, { ...options, kernel: [options.kernelSize], bias: options.bias ?? true }, (x, w) => nx.conv1d(x, w, { stride, dilation, padding, groups: options.groups ?? 1 }));
}
