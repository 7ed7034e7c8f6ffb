/**
 * Neural-network primitives: softmax, logSoftmax, conv1d, conv2d (NCHW), max/avg pooling.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '../errors.js';
import { checkOptions, type OptionKeys } from '../options.js';
import type { Tensor } from '../tensor.js';
import { axisArg, checkDType, fmtShape, normAxis, type AxisOptions } from './_util.js';

/**
 * Softmax along an axis (default -1, the last), computed stably: `nx.softmax(x, { axis: 1 })`,
 * as every nx function with an optional axis takes it (a bare number, `nx.softmax(x, 1)`, works too).
 */
export function softmax(x: Tensor, options: AxisOptions | number = {}): Tensor {
  const a = normAxis('softmax', axisArg('softmax', options, -1), x.rank);
  if (a === x.rank - 1) return tf.tidy(() => tf.softmax(x.dtype === 'float32' ? x : tf.cast(x, 'float32')));
  return tf.tidy(() => {
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const e = tf.exp(tf.sub(xf, tf.max(xf, a, true)));
    return tf.div(e, tf.sum(e, a, true));
  });
}

/** `log(softmax(x))` along an axis (default -1), computed stably; the axis as for {@link softmax}. */
export function logSoftmax(x: Tensor, options: AxisOptions | number = {}): Tensor {
  const a = normAxis('logSoftmax', axisArg('logSoftmax', options, -1), x.rank);
  return tf.tidy(() => {
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    // last axis: TF.js's op has a cheap closed-form gradient (dy - softmax * sum(dy))
    if (a === x.rank - 1) return tf.logSoftmax(xf);
    const shifted = tf.sub(xf, tf.max(xf, a, true));
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), a, true)));
  });
}

/** Padding of a convolution or pooling: `same`, `valid`, or explicit `[before, after]` per spatial axis. */
export type Padding = 'same' | 'valid' | Array<[number, number]>;

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Stride per spatial axis; default 1. */
  stride?: number | [number, number];
  /**
   * Padding; default `valid`. `same` pads so that the output has `ceil(in / stride)` positions
   * (TF's rule; with stride 1 it equals PyTorch's `padding='same'`, the extra element going after).
   */
  padding?: Padding;
  /** Dilation per spatial axis; default 1. */
  dilation?: number | [number, number];
  /** Channel groups (input and output channels split into `groups` independent convolutions); default 1. */
  groups?: number;
}

const CONV2D_KEYS: OptionKeys<Conv2dOptions> = { stride: true, padding: true, dilation: true, groups: true };

const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

function checkPositive(op: string, name: string, v: [number, number]): void {
  if (v.length !== 2 || v.some((d) => !Number.isInteger(d) || d < 1)) throw new ValueError(`nx.${op}: ${name} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
}

/** TF's `same` padding for one axis: total `max((ceil(n/s) - 1) * s + (k - 1) * d + 1 - n, 0)`, the odd element after. */
function samePad(n: number, k: number, s: number, d: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * 2-d convolution (cross-correlation, as PyTorch) in NCHW layout. Differentiable in `x` and `w`.
 * @param x - input `[batch, inChannels, height, width]`, float32.
 * @param w - filters `[outChannels, inChannels / groups, kh, kw]` (PyTorch layout), float32.
 * @returns `[batch, outChannels, outHeight, outWidth]`, with
 *   `out = floor((in + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1`.
 * @throws ShapeError when ranks or channel counts do not fit, or the padded input is smaller than
 *   the dilated kernel; ValueError for bad stride, dilation, padding or groups; DTypeError for
 *   non-float32 operands.
 * @example `nx.conv2d(images, filters, { stride: 2, padding: 'same' })`
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  checkOptions('nx.conv2d', options, CONV2D_KEYS);
  return convNd('conv2d', x, w, options);
}

function convNd(op: string, x: Tensor, w: Tensor, options: Conv2dOptions): Tensor {
  checkDType(op, x, ['float32'], 'x');
  checkDType(op, w, ['float32'], 'w');
  if (x.rank !== 4 || w.rank !== 4) throw new ShapeError(`nx.${op}: expected x [N, C, H, W] and w [O, C, kh, kw], got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`);
  const groups = options.groups ?? 1;
  const [, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || o % groups !== 0) {
    throw new ValueError(`nx.${op}: groups ${groups} must be a positive integer dividing the input channels (${c}) and output channels (${o})`);
  }
  if (c / groups !== cg) {
    throw new ShapeError(`nx.${op}: input has ${c} channels but the filters expect ${cg * groups} (x ${fmtShape(x.shape)}, w ${fmtShape(w.shape)}${groups > 1 ? `, groups ${groups}` : ''})`);
  }
  const stride = pair(options.stride, 1);
  const dilation = pair(options.dilation, 1);
  checkPositive(op, 'stride', stride);
  checkPositive(op, 'dilation', dilation);
  let pads: [[number, number], [number, number]];
  const p = options.padding ?? 'valid';
  if (p === 'valid') pads = [[0, 0], [0, 0]];
  else if (p === 'same') pads = [samePad(h, kh, stride[0], dilation[0]), samePad(wd, kw, stride[1], dilation[1])];
  else if (Array.isArray(p) && p.length === 2 && p.every((q) => Array.isArray(q) && q.length === 2 && q.every((v) => Number.isInteger(v) && v >= 0))) pads = [p[0]!, p[1]!];
  else throw new ValueError(`nx.${op}: padding must be 'same', 'valid' or [[top, bottom], [left, right]] of non-negative integers, got ${JSON.stringify(p)}`);
  const effH = h + pads[0][0] + pads[0][1];
  const effW = wd + pads[1][0] + pads[1][1];
  if (effH < dilation[0] * (kh - 1) + 1 || effW < dilation[1] * (kw - 1) + 1) {
    throw new ShapeError(`nx.${op}: the padded input ${effH}x${effW} is smaller than the dilated kernel ${dilation[0] * (kh - 1) + 1}x${dilation[1] * (kw - 1) + 1} (x ${fmtShape(x.shape)}, w ${fmtShape(w.shape)})`);
  }
  return tf.tidy(() => {
    let xh = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D; // NHWC: what every TF.js backend implements
    if (pads.some(([a, b]) => a > 0 || b > 0)) xh = tf.pad(xh, [[0, 0], pads[0], pads[1], [0, 0]]);
    // TF.js has no gradient for dilated Conv2D and refuses stride > 1 with dilation > 1:
    // dilate the filter explicitly (zeros between taps) and convolve with dilation 1
    const wd2 = dilation[0] > 1 || dilation[1] > 1 ? dilateFilter(w, dilation) : w;
    const wh = tf.transpose(wd2, [2, 3, 1, 0]) as tf.Tensor4D; // [kh, kw, in/groups, out]
    const conv = (xi: tf.Tensor4D, wi: tf.Tensor4D): tf.Tensor4D => tf.conv2d(xi, wi, stride, 'valid', 'NHWC');
    let y: tf.Tensor4D;
    if (groups === 1) y = conv(xh, wh);
    else {
      const xs = tf.split(xh, groups, 3) as tf.Tensor4D[];
      const ws = tf.split(wh, groups, 3) as tf.Tensor4D[];
      y = tf.concat(xs.map((xi, g) => conv(xi, ws[g]!)), 3) as tf.Tensor4D;
    }
    return tf.transpose(y, [0, 3, 1, 2]);
  });
}

/**
 * Inserts `d - 1` zeros between the taps of a `[O, C, kh, kw]` filter, giving the
 * `[O, C, (kh-1)*d+1, (kw-1)*d+1]` filter a dilated convolution applies (pad/reshape/slice, so
 * it is differentiable on every backend).
 */
function dilateFilter(w: Tensor, d: [number, number]): Tensor {
  const [o, c, kh, kw] = w.shape as [number, number, number, number];
  const spread = tf.pad(tf.reshape(w, [o, c, kh, 1, kw, 1]), [[0, 0], [0, 0], [0, 0], [0, d[0] - 1], [0, 0], [0, d[1] - 1]]);
  const flat = tf.reshape(spread, [o, c, kh * d[0], kw * d[1]]);
  return tf.slice(flat, [0, 0, 0, 0], [o, c, (kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1]);
}

/** Options of {@link conv1d}. */
export interface Conv1dOptions {
  /** Stride; default 1. */
  stride?: number;
  /** `same`, `valid` (default), or `[before, after]` (also accepted wrapped as `[[before, after]]`). */
  padding?: 'same' | 'valid' | [number, number] | [[number, number]];
  /** Dilation; default 1. */
  dilation?: number;
  /** Channel groups; default 1. */
  groups?: number;
}

const CONV1D_KEYS: OptionKeys<Conv1dOptions> = { stride: true, padding: true, dilation: true, groups: true };

/**
 * 1-d convolution (cross-correlation) in NCL layout, as PyTorch's `conv1d`.
 * @param x - `[batch, inChannels, length]`, float32.
 * @param w - `[outChannels, inChannels / groups, k]`, float32.
 * @returns `[batch, outChannels, outLength]`.
 * @throws ShapeError when ranks or channel counts do not fit; ValueError for bad options.
 */
export function conv1d(x: Tensor, w: Tensor, options: Conv1dOptions = {}): Tensor {
  checkOptions('nx.conv1d', options, CONV1D_KEYS);
  if (x.rank !== 3 || w.rank !== 3) throw new ShapeError(`nx.conv1d: expected x [N, C, L] and w [O, C, k], got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`);
  const p = options.padding;
  let padding: Padding | undefined;
  if (Array.isArray(p)) {
    const pr = (Array.isArray(p[0]) ? p[0] : p) as [number, number];
    padding = [[0, 0], pr];
  } else padding = p;
  return tf.tidy(() => {
    const y = convNd('conv1d', tf.expandDims(x, 2), tf.expandDims(w, 2), {
      stride: [1, options.stride ?? 1],
      dilation: [1, options.dilation ?? 1],
      padding,
      groups: options.groups ?? 1,
    });
    return tf.squeeze(y, [2]);
  });
}

/** Options of {@link maxPool2d} and {@link avgPool2d}. */
export interface Pool2dOptions {
  /** Window size per spatial axis. */
  kernelSize: number | [number, number];
  /** Stride; default the kernel size. */
  stride?: number | [number, number];
  /** `valid` (default) or `same`. */
  padding?: 'same' | 'valid';
}

const POOL_KEYS: OptionKeys<Pool2dOptions> = { kernelSize: true, stride: true, padding: true };

function pool(op: 'maxPool2d' | 'avgPool2d', x: Tensor, o: Pool2dOptions): Tensor {
  checkOptions(`nx.${op}`, o, POOL_KEYS);
  checkDType(op, x, ['float32']);
  if (x.rank !== 4) throw new ShapeError(`nx.${op}: expected [N, C, H, W], got ${fmtShape(x.shape)}`);
  if (o === undefined || o.kernelSize === undefined) throw new ValueError(`nx.${op}: options.kernelSize is required`);
  const k = pair(o.kernelSize, 1);
  const stride = o.stride === undefined ? k : pair(o.stride, 1);
  checkPositive(op, 'kernelSize', k);
  checkPositive(op, 'stride', stride);
  if (o.padding !== undefined && o.padding !== 'same' && o.padding !== 'valid') throw new ValueError(`nx.${op}: padding must be 'same' or 'valid', got ${JSON.stringify(o.padding)}`);
  if ((o.padding ?? 'valid') === 'valid' && (x.shape[2]! < k[0] || x.shape[3]! < k[1])) {
    throw new ShapeError(`nx.${op}: window ${k[0]}x${k[1]} is larger than the input ${x.shape[2]}x${x.shape[3]} (x ${fmtShape(x.shape)})`);
  }
  return tf.tidy(() => {
    const xh = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
    const y = op === 'maxPool2d' ? tf.maxPool(xh, k, stride, o.padding ?? 'valid') : tf.avgPool(xh, k, stride, o.padding ?? 'valid');
    return tf.transpose(y, [0, 3, 1, 2]);
  });
}

/** 2-d max pooling in NCHW layout: `[N, C, H, W] -> [N, C, H', W']`. */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor { return pool('maxPool2d', x, options); }
/** 2-d average pooling in NCHW layout (padding excluded from the average). */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor { return pool('avgPool2d', x, options); }
