/**
 * Rotary position embeddings (RoPE) as transformers computes them: inverse frequencies for the
 * `default`, `linear` and `llama3` variants, the cos/sin tables of given positions, and
 * `x cos + rotate_half(x) sin`.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import type { RopeParameters } from '../llama/config.js';

/**
 * The inverse frequencies `1 / theta^(2i / d)`, `i < d / 2`, of a head of size `headDim`, scaled
 * as the variant says: `linear` divides them all by `factor`; `llama3` divides the low
 * frequencies (wavelength above `original / low_freq_factor`) by `factor`, keeps the high ones
 * (below `original / high_freq_factor`) and interpolates in between.
 */
export function inverseFrequencies(rope: RopeParameters, headDim: number): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    // as torch: the exponent in float32, the power and reciprocal in float32
    out[i] = Math.fround(1 / Math.fround(rope.rope_theta ** Math.fround((2 * i) / headDim)));
  }
  if (rope.rope_type === 'linear') {
    for (let i = 0; i < half; i++) out[i] = Math.fround(out[i]! / rope.factor!);
  } else if (rope.rope_type === 'llama3') {
    const factor = rope.factor!;
    const low = rope.low_freq_factor!;
    const high = rope.high_freq_factor!;
    const original = rope.original_max_position_embeddings!;
    const lowWavelen = original / low;
    const highWavelen = original / high;
    for (let i = 0; i < half; i++) {
      const f = out[i]!;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) continue;
      if (wavelen > lowWavelen) {
        out[i] = Math.fround(f / factor);
        continue;
      }
      const smooth = (original / wavelen - low) / (high - low);
      out[i] = Math.fround((1 - smooth) * (f / factor) + smooth * f);
    }
  }
  return out;
}

/**
 * The cos and sin tables `[B | 1, 1, L, headDim]` of positions `int32 [B | 1, L]`: angles
 * `position * invFreq`, the half repeated (transformers' `cat((freqs, freqs), -1)`).
 * @internal
 */
export function rotaryTables(positions: Tensor, invFreq: Float32Array): { cos: Tensor; sin: Tensor } {
  return nx.scope(() => {
    const [b, l] = positions.shape as [number, number];
    const half = invFreq.length;
    const freqs = nx.mul(nx.reshape(nx.cast(positions, 'float32'), [b, l, 1]), nx.fromArray(invFreq, { shape: [1, 1, half] }));
    const emb = nx.reshape(nx.concatenate([freqs, freqs], -1), [b, 1, l, 2 * half]);
    return { cos: nx.cos(emb), sin: nx.sin(emb) };
  });
}

/** `x cos + rotate_half(x) sin` for `x [B, heads, L, d]` (`rotate_half([a, b]) = [-b, a]`). @internal */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return nx.scope(() => {
    const [x1, x2] = nx.split(x, 2, -1) as [Tensor, Tensor];
    const rotated = nx.concatenate([nx.neg(x2), x1], -1);
    return nx.add(nx.mul(x, cos), nx.mul(rotated, sin));
  });
}
