/**
 * Neural-network primitives: softmax, logSoftmax, conv1d, conv2d (NCHW), max/avg pooling.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkDType, fmtShape, normAxis } from './_util.js';

/** Softmax along `axis` (default -1), computed stably. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('softmax', axis, x.rank);
  if (a === x.rank - 1) return tf.softmax(x.dtype === 'float32' ? x : tf.cast(x, 'float32'));
  return tf.tidy(() => {
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const e = tf.exp(tf.sub(xf, tf.max(xf, a, true)));
    return tf.div(e, tf.sum(e, a, true));
  });
}

/** `log(softmax(x))` along `axis` (default -1), computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('logSoftmax', axis, x.rank);
  return tf.tidy(() => {
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
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
  /** Padding; default `valid`. */
  padding?: Padding;
  /** Dilation per spatial axis; default 1. */
  dilation?: number | [number, number];
}

const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

function tfPadding(p: Padding | undefined, rank: number): 'same' | 'valid' | [[0, 0], [0, 0], [number, number], [number, number]] | 'explicit' {
  if (p === undefined || p === 'valid') return 'valid';
  if (p === 'same') return 'same';
  if (p.length !== rank) throw new ValueError(`nx.conv: explicit padding needs ${rank} [before, after] pairs, got ${p.length}`);
  return 'explicit';
}

/**
 * 2-d convolution (cross-correlation, as PyTorch) in NCHW layout.
 * @param x - input `[batch, inChannels, height, width]`.
 * @param w - filters `[outChannels, inChannels, kh, kw]` (PyTorch layout).
 * @returns `[batch, outChannels, outHeight, outWidth]`.
 * @throws ShapeError when the channel counts differ.
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  checkDType('conv2d', x, ['float32']);
  if (x.rank !== 4 || w.rank !== 4) throw new ShapeError(`nx.conv2d: expected x [N, C, H, W] and w [O, C, kh, kw], got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`);
  if (x.shape[1] !== w.shape[1]) throw new ShapeError(`nx.conv2d: input has ${x.shape[1]} channels but the filters expect ${w.shape[1]} (x ${fmtShape(x.shape)}, w ${fmtShape(w.shape)})`);
  const stride = pair(options.stride, 1);
  const dilation = pair(options.dilation, 1);
  const mode = tfPadding(options.padding, 2);
  return tf.tidy(() => {
    let xh = tf.transpose(x, [0, 2, 3, 1]); // NHWC: what every TF.js backend implements
    let pad: 'same' | 'valid' = 'valid';
    if (mode === 'explicit') {
      const p = options.padding as Array<[number, number]>;
      xh = tf.pad(xh, [[0, 0], p[0]!, p[1]!, [0, 0]]);
    } else pad = mode as 'same' | 'valid';
    const wh = tf.transpose(w, [2, 3, 1, 0]); // [kh, kw, in, out]
    const y = tf.conv2d(xh as tf.Tensor4D, wh as tf.Tensor4D, stride, pad, 'NHWC', dilation);
    return tf.transpose(y, [0, 3, 1, 2]);
  });
}

/** Options of {@link conv1d}. */
export interface Conv1dOptions {
  /** Stride; default 1. */
  stride?: number;
  /** `same`, `valid` (default) or one `[before, after]` pair. */
  padding?: 'same' | 'valid' | [[number, number]];
  /** Dilation; default 1. */
  dilation?: number;
}

/**
 * 1-d convolution in NCL layout.
 * @param x - `[batch, inChannels, length]`; @param w - `[outChannels, inChannels, k]`.
 * @returns `[batch, outChannels, outLength]`.
 */
export function conv1d(x: Tensor, w: Tensor, options: Conv1dOptions = {}): Tensor {
  if (x.rank !== 3 || w.rank !== 3) throw new ShapeError(`nx.conv1d: expected x [N, C, L] and w [O, C, k], got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`);
  const padding: Padding | undefined = Array.isArray(options.padding) ? [[0, 0], options.padding[0]] : options.padding;
  return tf.tidy(() => {
    const y = conv2d(tf.expandDims(x, 2), tf.expandDims(w, 2), { stride: [1, options.stride ?? 1], dilation: [1, options.dilation ?? 1], padding });
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

function pool(op: 'maxPool2d' | 'avgPool2d', x: Tensor, o: Pool2dOptions): Tensor {
  checkDType(op, x, ['float32']);
  if (x.rank !== 4) throw new ShapeError(`nx.${op}: expected [N, C, H, W], got ${fmtShape(x.shape)}`);
  const k = pair(o.kernelSize, 1);
  const s = pair(o.stride, 0);
  const stride: [number, number] = s[0] === 0 ? k : s;
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
