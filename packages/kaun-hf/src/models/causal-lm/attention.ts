/**
 * The attention core the decoder families share: split heads, extend the key/value cache,
 * scaled dot-product attention with the decoder mask (grouped-query and multi-query attention
 * without copying keys and values), merge heads. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Layer } from '@raven/kaun';
import type { LayerCache } from './types.js';

/** `[B, L, heads * d] -> [B, heads, L, d]`. @internal */
export function splitHeads(x: Tensor, heads: number, headDim: number): Tensor {
  const [b, l] = x.shape as [number, number, number];
  return nx.transpose(nx.reshape(x, [b, l, heads, headDim]), [0, 2, 1, 3]);
}

/** `[B, heads, L, d] -> [B, L, heads * d]`. @internal */
export function mergeHeads(x: Tensor): Tensor {
  const [b, h, l, d] = x.shape as [number, number, number, number];
  return nx.reshape(nx.transpose(x, [0, 2, 1, 3]), [b, l, h * d]);
}

/** Options of {@link attend}. @internal */
export interface AttendOptions {
  /** The decoder mask (`decoderMask`), or undefined to see every key. */
  mask: Tensor | undefined;
  /** Keys and values of earlier tokens. */
  past: LayerCache | undefined;
  /** Score scale. */
  scale: number;
  /** Dropout on the probabilities (training only). */
  dropout: number;
  /** Key for the dropout. */
  key: nx.random.Key | undefined;
}

/**
 * `softmax(q k^T * scale + mask) v` over the cache and the new keys. `q` `[B, H, L, d]`, `k`, `v`
 * `[B, Hkv, L, d]`; returns the merged output `[B, L, H d]` and the extended cache entry.
 * @internal
 */
export function attend(q: Tensor, k: Tensor, v: Tensor, options: AttendOptions): { out: Tensor; cache: LayerCache } {
  const key = options.past === undefined ? k : nx.concatenate([options.past.key, k], 2);
  const value = options.past === undefined ? v : nx.concatenate([options.past.value, v], 2);
  const context = Layer.scaledDotProductAttention(q, key, value, {
    mask: options.mask, scale: options.scale, dropout: options.dropout, key: options.dropout > 0 ? options.key : undefined,
  });
  return { out: mergeHeads(context), cache: { key, value } };
}
