/**
 * Activation layers and {@link fn}, which turns any tensor function into a layer. None has
 * parameters or state; the output has the input's shape.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';
import * as A from './activation.js';
import { APPLY_KEYS, type ApplyOptions, type Layer, emptyVars } from './layer.js';

/**
 * A layer without parameters or state that computes `f(x)` (`f` also gets the apply options).
 * `f` runs in an `nx.scope`, so its intermediates are freed.
 * @example `Layer.fn((x) => nx.mul(x, 2))`
 */
export function fn<In = Tensor, Out = Tensor>(f: (x: In, options: ApplyOptions) => Out): Layer<In, Out> {
  return {
    kind: 'fn',
    init: (o) => emptyVars(o.dtype),
    apply: (vars, x, options = {}) => {
      nx.checkOptions('Layer.fn: apply', options, APPLY_KEYS);
      return { y: nx.scope(() => f(x, options)), state: vars.state };
    },
  };
}

/** `layer` with a `kind` for summaries. @internal */
export function kinded<In, Out>(layer: Layer<In, Out>, kind: string): Layer<In, Out> {
  return { ...layer, kind };
}

/** ReLU layer: `max(x, 0)`. */
export function relu(): Layer { return kinded(fn(A.relu), 'relu'); }

/** Options of {@link gelu}. */
export interface GeluOptions {
  /** `'none'` (default): the exact erf form; `'tanh'`: the tanh approximation. As PyTorch. */
  approximate?: 'none' | 'tanh';
}

const GELU_KEYS: nx.OptionKeys<GeluOptions> = { approximate: true };

/** GELU layer, exact (default) or the tanh approximation. */
export function gelu(options: GeluOptions = {}): Layer {
  nx.checkOptions('Layer.gelu', options, GELU_KEYS);
  const a = options.approximate ?? 'none';
  if (a !== 'none' && a !== 'tanh') throw new LayerError(`Layer.gelu: approximate must be 'none' or 'tanh', got ${String(a)}`);
  return kinded(fn(a === 'tanh' ? A.geluTanh : A.gelu), 'gelu');
}

/** SiLU (swish) layer: `x * sigmoid(x)`. */
export function silu(): Layer { return kinded(fn(A.silu), 'silu'); }

/** Tanh layer. */
export function tanh(): Layer { return kinded(fn(A.tanh), 'tanh'); }

/** Sigmoid layer. */
export function sigmoid(): Layer { return kinded(fn(A.sigmoid), 'sigmoid'); }

/** Options of {@link softmax} and {@link logSoftmax}. */
export interface SoftmaxOptions {
  /** The axis normalised over; default -1. */
  axis?: number;
}

const SOFTMAX_KEYS: nx.OptionKeys<SoftmaxOptions> = { axis: true };

/** Softmax layer along `axis` (default -1). */
export function softmax(options: SoftmaxOptions = {}): Layer {
  nx.checkOptions('Layer.softmax', options, SOFTMAX_KEYS);
  const axis = options.axis ?? -1;
  return kinded(fn((x: Tensor) => A.softmax(x, axis)), 'softmax');
}

/** Log-softmax layer along `axis` (default -1). */
export function logSoftmax(options: SoftmaxOptions = {}): Layer {
  nx.checkOptions('Layer.logSoftmax', options, SOFTMAX_KEYS);
  const axis = options.axis ?? -1;
  return kinded(fn((x: Tensor) => A.logSoftmax(x, axis)), 'logSoftmax');
}

/** Options of {@link leakyRelu}. */
export interface LeakyReluOptions {
  /** Slope for negative inputs; default 0.01. */
  negativeSlope?: number;
}

const LEAKY_RELU_KEYS: nx.OptionKeys<LeakyReluOptions> = { negativeSlope: true };

/** Leaky ReLU layer. */
export function leakyRelu(options: LeakyReluOptions = {}): Layer {
  nx.checkOptions('Layer.leakyRelu', options, LEAKY_RELU_KEYS);
  const s = options.negativeSlope ?? 0.01;
  return kinded(fn((x: Tensor) => A.leakyRelu(x, s)), 'leakyRelu');
}

/** Options of {@link elu}. */
export interface EluOptions {
  /** Scale of the negative part; default 1. */
  alpha?: number;
}

const ELU_KEYS: nx.OptionKeys<EluOptions> = { alpha: true };

/** ELU layer. */
export function elu(options: EluOptions = {}): Layer {
  nx.checkOptions('Layer.elu', options, ELU_KEYS);
  const alpha = options.alpha ?? 1;
  return kinded(fn((x: Tensor) => A.elu(x, alpha)), 'elu');
}

/** Softplus layer: `log(1 + exp(x))`. */
export function softplus(): Layer { return kinded(fn(A.softplus), 'softplus'); }

/** Identity layer: returns its input. */
export function identity<T = Tensor>(): Layer<T, T> { return kinded(fn((x: T) => x), 'identity'); }
