/**
 * The attention mask of a decoder step: causal (query `i` at absolute position `T + i` sees keys
 * `j <= T + i`, `T` the cache length) and padding (keys whose attention mask is 0 are never seen).
 * Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '@raven/kaun';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * The 0/1 float mask `[B | 1, 1, L, T + L]` for `L` new tokens after `T` cached ones, or
 * `undefined` when every key may be seen (one new token and no padding).
 * @param attentionMask - 1/0 per key `[B, T + L]`, or undefined for no padding.
 * @throws LayerError when the mask's shape does not fit.
 * @internal
 */
export function decoderMask(where: string, attentionMask: Tensor | undefined, batch: number, length: number, past: number): Tensor | undefined {
  const total = past + length;
  if (attentionMask !== undefined && (attentionMask.rank !== 2 || attentionMask.shape[0] !== batch || attentionMask.shape[1] !== total)) {
    throw new LayerError(`${where}: attentionMask must be [B, cache length + L] = [${batch}, ${total}], got ${fmt(attentionMask.shape)}`);
  }
  if (attentionMask === undefined && length === 1) return undefined;
  return nx.scope(() => {
    const causal = new Float32Array(length * total);
    for (let i = 0; i < length; i++) causal.fill(1, i * total, i * total + past + i + 1);
    const c = nx.fromArray(causal, { shape: [1, 1, length, total] });
    if (attentionMask === undefined) return c;
    const pad = nx.reshape(attentionMask.dtype === 'float32' ? attentionMask : nx.cast(attentionMask, 'float32'), [batch, 1, 1, total]);
    return nx.mul(c, pad);
  });
}

/**
 * Default positions `T, ..., T + L - 1` as `int32 [1, L]`, or the given ones checked.
 * @throws LayerError when `positionIds` is not int32 `[B, L]`.
 * @internal
 */
export function positionsOf(where: string, positionIds: Tensor | undefined, batch: number, length: number, past: number): Tensor {
  if (positionIds === undefined) return nx.reshape(nx.arange(past, past + length, 1, 'int32'), [1, length]);
  if (positionIds.rank !== 2 || positionIds.shape[0] !== batch || positionIds.shape[1] !== length || positionIds.dtype !== 'int32') {
    throw new LayerError(`${where}: positionIds must be int32 [B, L] = [${batch}, ${length}], got ${positionIds.dtype} ${fmt(positionIds.shape)}`);
  }
  return positionIds;
}
