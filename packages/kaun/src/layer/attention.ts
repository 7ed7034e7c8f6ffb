/**
 * Attention: the {@link scaledDotProductAttention} function and the {@link multiHeadAttention}
 * layer (padding and causal masks, grouped key/value heads).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';
import { type Initializer, torchBias, torchDefault } from '../init/index.js';
import type { Tree } from '../ptree/index.js';
import { checkPositiveInt, fmt, param } from './_util.js';
import { applyDropout } from './dropout.js';
import { APPLY_KEYS, type Key, type Layer } from './layer.js';

/** What a masked score becomes before the softmax (finite, so a fully masked row stays finite). */
const MASKED = -1e9;

/** Options of {@link scaledDotProductAttention}. */
export interface AttentionOptions {
  /**
   * Which keys each query may attend to: bool (true = attend) or numbers (1 = attend, 0 = not),
   * broadcastable to the scores `[B, H, Lq, Lk]` (NumPy rules; a padding mask `[B, Lk]` is
   * passed as `[B, 1, 1, Lk]`).
   */
  mask?: Tensor;
  /** Causal masking: query `i` attends to keys `j <= i` (top-left aligned, as PyTorch); default false. */
  causal?: boolean;
  /** Dropout rate on the attention probabilities; default 0. Needs `key` when > 0. */
  dropout?: number;
  /** PRNG key for the dropout. */
  key?: Key;
  /** Score scale; default `1 / sqrt(D)`. */
  scale?: number;
}

const ATTENTION_KEYS: nx.OptionKeys<AttentionOptions> = { mask: true, causal: true, dropout: true, key: true, scale: true };

function causalBias(lq: number, lk: number): Tensor {
  const data = new Float32Array(lq * lk);
  for (let i = 0; i < lq; i++) for (let j = i + 1; j < lk; j++) data[i * lk + j] = MASKED;
  return nx.fromArray(data, { shape: [lq, lk] });
}

/**
 * `softmax(q k^T * scale + maskBias) v`, per head, as PyTorch's
 * `F.scaled_dot_product_attention`.
 *
 * - `q` `[B, H, Lq, D]`, `k` `[B, Hkv, Lk, D]`, `v` `[B, Hkv, Lk, Dv]`; output `[B, H, Lq, Dv]`.
 * - Grouped-query attention when `Hkv < H` (`H % Hkv == 0`): key/value head `j` serves query
 *   heads `j g .. j g + g - 1`, `g = H / Hkv` (as HF's `repeat_kv`), computed without copying k and v.
 * - Masked scores are set to -1e9 (a query with every key masked attends uniformly instead of
 *   giving NaN).
 * @throws LayerError for mismatched shapes or a missing dropout key.
 * @example `Layer.scaledDotProductAttention(q, k, v, { mask: nx.reshape(padMask, [b, 1, 1, lk]) })`
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  nx.checkOptions('Layer.scaledDotProductAttention', options, ATTENTION_KEYS);
  const fn = 'Layer.scaledDotProductAttention';
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) throw new LayerError(`${fn}: expected q [B, H, Lq, D], k [B, Hkv, Lk, D], v [B, Hkv, Lk, Dv], got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`);
  const [b, h, lq, d] = q.shape as [number, number, number, number];
  const [bk, hkv, lk, dk] = k.shape as [number, number, number, number];
  if (bk !== b || dk !== d || v.shape[0] !== b || v.shape[1] !== hkv || v.shape[2] !== lk || h % hkv !== 0) {
    throw new LayerError(`${fn}: incompatible shapes q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)} (need the same B and D, k and v with the same heads and length, and H a multiple of Hkv)`);
  }
  const rate = options.dropout ?? 0;
  if (rate > 0 && options.key === undefined) throw new LayerError(`${fn}: dropout ${rate} needs a key`);
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const g = h / hkv;
  const dv = v.shape[3]!;
  return nx.scope(() => {
    // [B, H, Lq, D] -> [B, Hkv, g*Lq, D]: query heads of one group share a k/v head
    const qg = g === 1 ? q : nx.reshape(q, [b, hkv, g * lq, d]);
    let scores = nx.matmul(nx.mul(qg, scale), nx.transpose(k, [0, 1, 3, 2]));
    if (g !== 1) scores = nx.reshape(scores, [b, h, lq, lk]);
    if (options.mask !== undefined) {
      const m = options.mask;
      const mf = m.dtype === 'float32' ? m : nx.cast(m, 'float32');
      scores = nx.add(scores, nx.mul(nx.sub(1, mf), MASKED));
    }
    if (options.causal) scores = nx.add(scores, causalBias(lq, lk));
    let probs = nx.softmax(scores, -1);
    if (rate > 0) probs = applyDropout(probs, rate, options.key, fn);
    if (g !== 1) probs = nx.reshape(probs, [b, hkv, g * lq, lk]);
    const out = nx.matmul(probs, v);
    return g === 1 ? out : nx.reshape(out, [b, h, lq, dv]);
  });
}

/** The input of {@link multiHeadAttention} when it is not a single tensor (self-attention). */
export interface AttentionInput {
  /** Queries `[B, Lq, embedDim]`. */
  query: Tensor;
  /** Keys `[B, Lk, kvDim]`; default `query`. */
  key?: Tensor;
  /** Values `[B, Lk, kvDim]`; default `key`. */
  value?: Tensor;
  /**
   * Which keys to attend to: a padding mask `[B, Lk]`, a per-query mask `[B, Lq, Lk]`, or
   * `[B, 1 | H, Lq, Lk]`; bool (true = attend) or 1/0 numbers (1 = attend).
   */
  mask?: Tensor;
  /** Causal masking for this call (or-ed with the layer's `causal` option). */
  causal?: boolean;
}

/** Options of {@link multiHeadAttention}. */
export interface MultiHeadAttentionOptions {
  /** Model width `E`: query input size and output size. */
  embedDim: number;
  /** Query heads `H`; `embedDim` must be a multiple of it (head size `E / H`). */
  numHeads: number;
  /** Key/value heads (grouped-query attention); default `numHeads`. Must divide `numHeads`. */
  numKvHeads?: number;
  /** Size of the key and value inputs; default `embedDim`. */
  kvDim?: number;
  /** Biases on the four projections; default true. */
  bias?: boolean;
  /** Dropout on the attention probabilities in training; default 0. */
  dropout?: number;
  /** Causal masking on every call; default false. */
  causal?: boolean;
  /** Initializer of the projection weights; default PyTorch's linear default. */
  weightInit?: Initializer;
  /** Initializer of the projection biases; default PyTorch's linear default. */
  biasInit?: Initializer;
}

const MHA_KEYS: nx.OptionKeys<MultiHeadAttentionOptions> = { embedDim: true, numHeads: true, numKvHeads: true, kvDim: true, bias: true, dropout: true, causal: true, weightInit: true, biasInit: true };

function project(x: Tensor, p: Tree, fn: string, name: string, useBias: boolean): Tensor {
  const where = `${fn} (${name})`;
  const w = param(where, p, 'weight');
  const y = nx.matmul(x, nx.transpose(w));
  return useBias ? nx.add(y, param(where, p, 'bias')) : y;
}

/**
 * Multi-head attention with separate query/key/value projections (as HF models name them).
 *
 * - Input: a tensor `[B, L, E]` (self-attention), or {@link AttentionInput}
 *   `{query, key?, value?, mask?, causal?}`. Output `[B, Lq, E]`.
 * - Params (head size `D = E / H`): `q_proj` `{weight [E, E], bias [E]}`, `k_proj` and `v_proj`
 *   `{weight [Hkv D, kvDim], bias [Hkv D]}`, `out_proj` `{weight [E, E], bias [E]}`.
 * - Computes `out_proj(sdpa(split(q_proj(q)), split(k_proj(k)), split(v_proj(v))))` with
 *   {@link scaledDotProductAttention}; dropout on the probabilities only in training (needs the apply key).
 * @throws LayerError for invalid sizes, or (at apply) inputs of the wrong shape or a missing dropout key.
 * @example
 * ```ts
 * const attn = Layer.multiHeadAttention({ embedDim: 64, numHeads: 8, numKvHeads: 2 });
 * const { y } = attn.apply(vars, { query: x, mask: padMask }); // padMask [B, L] of 1/0
 * ```
 */
export function multiHeadAttention(options: MultiHeadAttentionOptions): Layer<Tensor | AttentionInput, Tensor> {
  nx.checkOptions('Layer.multiHeadAttention', options, MHA_KEYS);
  const fn = 'Layer.multiHeadAttention';
  const e = options.embedDim;
  const h = options.numHeads;
  const hkv = options.numKvHeads ?? h;
  const kvDim = options.kvDim ?? e;
  checkPositiveInt(fn, 'embedDim', e);
  checkPositiveInt(fn, 'numHeads', h);
  checkPositiveInt(fn, 'numKvHeads', hkv);
  checkPositiveInt(fn, 'kvDim', kvDim);
  if (e % h !== 0) throw new LayerError(`${fn}: embedDim ${e} must be a multiple of numHeads ${h}`);
  if (h % hkv !== 0) throw new LayerError(`${fn}: numHeads ${h} must be a multiple of numKvHeads ${hkv}`);
  const rate = options.dropout ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new LayerError(`${fn}: dropout must be in [0, 1), got ${rate}`);
  const d = e / h;
  const useBias = options.bias ?? true;
  const weightInit = options.weightInit ?? torchDefault;
  const shapes: Record<string, [number, number]> = { q_proj: [e, e], k_proj: [hkv * d, kvDim], v_proj: [hkv * d, kvDim], out_proj: [e, e] };
  return {
    kind: 'multiHeadAttention',
    init({ key, dtype = 'float32' }) {
      const names = Object.keys(shapes);
      const keys = nx.random.split(key, 2 * names.length);
      const params: Record<string, Tree> = {};
      names.forEach((name, i) => {
        const [o, inp] = shapes[name]!;
        const p: Record<string, Tree> = { weight: weightInit(keys[2 * i]!, [o, inp], dtype) };
        if (useBias) p['bias'] = (options.biasInit ?? torchBias(inp))(keys[2 * i + 1]!, [o], dtype);
        params[name] = p;
      });
      return { params, state: {}, dtype };
    },
    apply(vars, input, o = {}) {
      nx.checkOptions(`${fn}: apply`, o, APPLY_KEYS);
      const inp: AttentionInput = nx.isTensor(input) ? { query: input } : input;
      const query = inp.query;
      const keyIn = inp.key ?? query;
      const valueIn = inp.value ?? keyIn;
      if (query.rank !== 3 || query.shape[2] !== e) throw new LayerError(`${fn}: expected query [B, L, ${e}], got ${fmt(query.shape)}`);
      const [b, lq] = query.shape as [number, number];
      if (keyIn.rank !== 3 || keyIn.shape[0] !== b || keyIn.shape[2] !== kvDim || valueIn.rank !== 3 || valueIn.shape[0] !== b || valueIn.shape[1] !== keyIn.shape[1] || valueIn.shape[2] !== kvDim) {
        throw new LayerError(`${fn}: expected key and value [${b}, Lk, ${kvDim}], got ${fmt(keyIn.shape)} and ${fmt(valueIn.shape)}`);
      }
      const lk = keyIn.shape[1]!;
      const training = o.training ?? false;
      if (training && rate > 0 && o.key === undefined) throw new LayerError(`${fn}: dropout ${rate} is active in training but no key was given; pass apply(vars, x, { training: true, key })`);
      const p = vars.params as Record<string, Tree>;
      let mask = inp.mask;
      if (mask !== undefined) {
        const ok = (mask.rank === 2 && mask.shape[0] === b && mask.shape[1] === lk)
          || (mask.rank === 3 && mask.shape[0] === b && mask.shape[1] === lq && mask.shape[2] === lk)
          || (mask.rank === 4 && mask.shape[0] === b && (mask.shape[1] === 1 || mask.shape[1] === h) && mask.shape[2] === lq && mask.shape[3] === lk);
        if (!ok) throw new LayerError(`${fn}: mask must be [B, Lk] = [${b}, ${lk}], [B, Lq, Lk] or [B, 1|H, Lq, Lk], got ${fmt(mask.shape)}`);
      }
      const y = nx.scope(() => {
        if (mask !== undefined && mask.rank === 2) mask = nx.reshape(mask, [b, 1, 1, lk]);
        else if (mask !== undefined && mask.rank === 3) mask = nx.reshape(mask, [b, 1, lq, lk]);
        const heads = (x: Tensor, n: number, len: number) => nx.transpose(nx.reshape(x, [b, len, n, d]), [0, 2, 1, 3]);
        const q = heads(project(query, p['q_proj']!, fn, 'q_proj', useBias), h, lq);
        const k = heads(project(keyIn, p['k_proj']!, fn, 'k_proj', useBias), hkv, lk);
        const v = heads(project(valueIn, p['v_proj']!, fn, 'v_proj', useBias), hkv, lk);
        const att = scaledDotProductAttention(q, k, v, {
          mask,
          causal: (options.causal ?? false) || (inp.causal ?? false),
          dropout: training ? rate : 0,
          key: training ? o.key : undefined,
        });
        const merged = nx.reshape(nx.transpose(att, [0, 2, 1, 3]), [b, lq, e]);
        return project(merged, p['out_proj']!, fn, 'out_proj', useBias);
      });
      return { y, state: vars.state };
    },
  };
}
