/**
 * Pooling and reshaping layers: {@link maxPool2d}, {@link avgPool2d}, {@link flatten}. No
 * parameters, no state.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';
import { fmt } from './_util.js';
import { fn, kinded } from './activations.js';
import type { Layer } from './layer.js';

/** Options of {@link maxPool2d} and {@link avgPool2d}. */
export interface Pool2dOptions {
  /** Window size `kh, kw`. */
  kernelSize: number | [number, number];
  /** Stride; default the kernel size. */
  stride?: number | [number, number];
  /** `'valid'` (default) or `'same'`. */
  padding?: 'same' | 'valid';
}

const POOL_KEYS: nx.OptionKeys<Pool2dOptions> = { kernelSize: true, stride: true, padding: true };

function checkPool(name: string, o: Pool2dOptions): void {
  const ok = (v: unknown) => (typeof v === 'number' ? Number.isInteger(v) && v > 0 : Array.isArray(v) && v.length === 2 && v.every((d) => Number.isInteger(d) && d > 0));
  if (!ok(o.kernelSize)) throw new LayerError(`${name}: kernelSize must be a positive integer or a pair, got ${JSON.stringify(o.kernelSize)}`);
  if (o.stride !== undefined && !ok(o.stride)) throw new LayerError(`${name}: stride must be a positive integer or a pair, got ${JSON.stringify(o.stride)}`);
  if (o.padding !== undefined && o.padding !== 'same' && o.padding !== 'valid') throw new LayerError(`${name}: padding must be 'same' or 'valid', got ${JSON.stringify(o.padding)}`);
}

function pool(name: string, f: (x: Tensor, o: nx.Pool2dOptions) => Tensor, o: Pool2dOptions): Layer {
  checkPool(name, o);
  return kinded(fn((x: Tensor) => {
    if (x.rank !== 4) throw new LayerError(`${name}: expected input [N, C, H, W], got shape ${fmt(x.shape)}`);
    return f(x, o);
  }), name.slice('Layer.'.length));
}

/**
 * 2-d max pooling, as `torch.nn.MaxPool2d`: input `[N, C, H, W]`, output
 * `[N, C, floor((H - kh) / sh) + 1, floor((W - kw) / sw) + 1]` (`'valid'`).
 * @example `Layer.maxPool2d({ kernelSize: 2 })` halves height and width.
 */
export function maxPool2d(options: Pool2dOptions): Layer {
  nx.checkOptions('Layer.maxPool2d', options, POOL_KEYS);
  return pool('Layer.maxPool2d', nx.maxPool2d, options);
}

/** 2-d average pooling, as `torch.nn.AvgPool2d` (with `'same'`, padding is left out of the average). */
export function avgPool2d(options: Pool2dOptions): Layer {
  nx.checkOptions('Layer.avgPool2d', options, POOL_KEYS);
  return pool('Layer.avgPool2d', nx.avgPool2d, options);
}

/** Options of {@link flatten}. */
export interface FlattenOptions {
  /** First axis merged; default 1 (keeps the batch axis). */
  startDim?: number;
  /** Last axis merged; default -1. */
  endDim?: number;
}

const FLATTEN_KEYS: nx.OptionKeys<FlattenOptions> = { startDim: true, endDim: true };

/**
 * Merges axes `startDim..endDim` into one, as `torch.nn.Flatten`: `[N, C, H, W] -> [N, C*H*W]`
 * with the defaults.
 * @throws LayerError (at apply) when the axes are out of range for the input.
 */
export function flatten(options: FlattenOptions = {}): Layer {
  nx.checkOptions('Layer.flatten', options, FLATTEN_KEYS);
  const start = options.startDim ?? 1;
  const end = options.endDim ?? -1;
  return kinded(fn((x: Tensor) => {
    const r = x.rank;
    const s = start < 0 ? start + r : start;
    const e = end < 0 ? end + r : end;
    if (!(s >= 0 && e < r && s <= e)) throw new LayerError(`Layer.flatten: axes ${start}..${end} are out of range for input of shape ${fmt(x.shape)}`);
    if (s === e) return x;
    const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return nx.reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
  }), 'flatten');
}

/** Options of {@link globalAvgPool} and {@link globalMaxPool}. */
export interface GlobalPoolOptions {
  /** Keep the pooled axes with length 1 (`[N, C, 1, 1]`, as PyTorch's `AdaptiveAvgPool2d(1)`); default false (`[N, C]`, as Keras). */
  keepDims?: boolean;
}

const GLOBAL_KEYS: nx.OptionKeys<GlobalPoolOptions> = { keepDims: true };

function globalPool(name: string, reduce: typeof nx.mean, options: GlobalPoolOptions): Layer {
  nx.checkOptions(name, options, GLOBAL_KEYS);
  const keepDims = options.keepDims ?? false;
  return kinded(fn((x: Tensor) => {
    if (x.rank < 3) throw new LayerError(`${name}: expected input [N, C, ...spatial], got shape ${fmt(x.shape)}`);
    return reduce(x, { axis: x.shape.slice(2).map((_, i) => i + 2), keepDims });
  }), name.slice('Layer.'.length));
}

/**
 * Global average pooling: the mean over every spatial axis, `[N, C, ...spatial] -> [N, C]`
 * (Keras' `GlobalAveragePooling2D`; with `keepDims`, `[N, C, 1, 1]` as PyTorch's
 * `AdaptiveAvgPool2d(1)`). Works for 1-d, 2-d and 3-d inputs.
 * @throws LayerError (at apply) for an input of rank below 3.
 * @example `Layer.sequential([Layer.conv2d({ inChannels: 3, outChannels: 16, kernelSize: 3 }), Layer.globalAvgPool(), Layer.linear({ inFeatures: 16, outFeatures: 10 })])`
 */
export function globalAvgPool(options: GlobalPoolOptions = {}): Layer {
  return globalPool('Layer.globalAvgPool', nx.mean, options);
}

/**
 * Global max pooling: the maximum over every spatial axis, `[N, C, ...spatial] -> [N, C]`
 * (`[N, C, 1, 1]` with `keepDims`).
 * @throws LayerError (at apply) for an input of rank below 3.
 */
export function globalMaxPool(options: GlobalPoolOptions = {}): Layer {
  return globalPool('Layer.globalMaxPool', nx.max, options);
}
