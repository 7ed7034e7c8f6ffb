import * as nx from '@raven/nx';
import { Layer, LayerError, Ptree } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { checkLayerGrad, expectClose, values } from './_helpers.js';

type Dict = Record<string, Record<string, nx.Tensor>>;

/** y[b, l, :] = x[b, l, :] W^T + bias, on plain arrays. */
function dense(x: number[], rows: number, inDim: number, w: number[], bias: number[], outDim: number): number[] {
  const out = new Array<number>(rows * outDim).fill(0);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outDim; o++) {
    let s = bias[o]!;
    for (let i = 0; i < inDim; i++) s += x[r * inDim + i]! * w[o * inDim + i]!;
    out[r * outDim + o] = s;
  }
  return out;
}

/** Multi-head attention written out with loops: GQA by head index, masks by skipping keys. */
function naiveMha(o: { q: number[]; kv: number[]; b: number; lq: number; lk: number; e: number; kvDim: number; h: number; hkv: number; params: Dict; pad?: number[]; causal?: boolean }): number[] {
  const d = o.e / o.h;
  const p = (n: string) => ({ w: values(o.params[n]!['weight']!), b: values(o.params[n]!['bias']!) });
  const Q = dense(o.q, o.b * o.lq, o.e, p('q_proj').w, p('q_proj').b, o.e);
  const K = dense(o.kv, o.b * o.lk, o.kvDim, p('k_proj').w, p('k_proj').b, o.hkv * d);
  const V = dense(o.kv, o.b * o.lk, o.kvDim, p('v_proj').w, p('v_proj').b, o.hkv * d);
  const ctx = new Array<number>(o.b * o.lq * o.e).fill(0);
  const g = o.h / o.hkv;
  for (let bi = 0; bi < o.b; bi++) for (let hi = 0; hi < o.h; hi++) for (let i = 0; i < o.lq; i++) {
    const kvh = Math.floor(hi / g);
    const scores: number[] = [];
    const allowed: number[] = [];
    for (let j = 0; j < o.lk; j++) {
      if (o.pad && o.pad[bi * o.lk + j] === 0) continue;
      if (o.causal && j > i) continue;
      let s = 0;
      for (let t = 0; t < d; t++) s += Q[(bi * o.lq + i) * o.e + hi * d + t]! * K[(bi * o.lk + j) * o.hkv * d + kvh * d + t]!;
      scores.push(s / Math.sqrt(d));
      allowed.push(j);
    }
    const m = Math.max(...scores);
    const ex = scores.map((s) => Math.exp(s - m));
    const z = ex.reduce((a, c) => a + c, 0);
    for (let t = 0; t < d; t++) {
      let acc = 0;
      allowed.forEach((j, n) => { acc += (ex[n]! / z) * V[(bi * o.lk + j) * o.hkv * d + kvh * d + t]!; });
      ctx[(bi * o.lq + i) * o.e + hi * d + t] = acc;
    }
  }
  return dense(ctx, o.b * o.lq, o.e, p('out_proj').w, p('out_proj').b, o.e);
}

describe('Layer.multiHeadAttention', () => {
  const key = nx.random.key(0);

  it('names its params like HF: q_proj, k_proj, v_proj, out_proj with GQA shapes', () => {
    const attn = Layer.multiHeadAttention({ embedDim: 8, numHeads: 4, numKvHeads: 2, kvDim: 6 });
    const vars = attn.init({ key });
    const shapes = Object.fromEntries(Ptree.flattenWithPaths(vars.params).map(([p, t]) => [p, t.shape]));
    expect(shapes).toEqual({
      'q_proj.weight': [8, 8], 'q_proj.bias': [8], 'k_proj.weight': [4, 6], 'k_proj.bias': [4],
      'v_proj.weight': [4, 6], 'v_proj.bias': [4], 'out_proj.weight': [8, 8], 'out_proj.bias': [8],
    });
    Ptree.dispose(vars.params);
  });

  const cases: Array<{ name: string; h: number; hkv: number; kvDim?: number; lk?: number; pad?: number[]; causal?: boolean; boolMask?: boolean }> = [
    { name: 'self-attention', h: 2, hkv: 2 },
    { name: 'padding mask (1/0)', h: 2, hkv: 2, pad: [1, 1, 1, 0, 1, 1, 0, 0] },
    { name: 'padding mask (bool)', h: 2, hkv: 2, pad: [1, 0, 1, 1, 1, 1, 1, 0], boolMask: true },
    { name: 'causal', h: 4, hkv: 4, causal: true },
    { name: 'GQA (4 query heads, 2 kv heads) with causal and padding', h: 4, hkv: 2, causal: true, pad: [1, 1, 1, 1, 1, 1, 1, 0] },
    { name: 'multi-query cross-attention (kvDim 6, Lk 5)', h: 4, hkv: 1, kvDim: 6, lk: 5, pad: [1, 1, 0, 1, 1, 1, 1, 1, 1, 0] },
  ];
  for (const c of cases) {
    it(`matches a direct implementation: ${c.name}`, () => {
      const b = 2;
      const lq = 4;
      const e = 8;
      const lk = c.lk ?? lq;
      const kvDim = c.kvDim ?? e;
      const attn = Layer.multiHeadAttention({ embedDim: e, numHeads: c.h, numKvHeads: c.hkv, kvDim });
      const vars = attn.init({ key });
      const q = nx.random.normal(nx.random.key(1), [b, lq, e]);
      const kv = c.lk !== undefined || c.kvDim !== undefined ? nx.random.normal(nx.random.key(2), [b, lk, kvDim]) : q;
      const mask = c.pad ? (c.boolMask ? nx.fromArray(c.pad.map((v) => v === 1), { shape: [b, lk] }) : nx.fromArray(c.pad, { shape: [b, lk] })) : undefined;
      const input: Layer.AttentionInput = kv === q ? { query: q, mask, causal: c.causal } : { query: q, key: kv, value: kv, mask, causal: c.causal };
      const { y } = attn.apply(vars, input);
      expect(y.shape).toEqual([b, lq, e]);
      const expected = naiveMha({ q: values(q), kv: values(kv), b, lq, lk, e, kvDim, h: c.h, hkv: c.hkv, params: vars.params as Dict, pad: c.pad, causal: c.causal });
      expectClose(values(y), expected, 1e-4);
      nx.dispose([vars.params, q, kv, mask, y]);
    });
  }

  it('accepts a plain tensor for self-attention and a [B, Lq, Lk] mask', () => {
    const attn = Layer.multiHeadAttention({ embedDim: 4, numHeads: 2 });
    const vars = attn.init({ key });
    const x = nx.random.normal(nx.random.key(3), [1, 3, 4]);
    const a = attn.apply(vars, x).y;
    const b = attn.apply(vars, { query: x }).y;
    expect(values(a)).toEqual(values(b));
    // a lower-triangular [B, Lq, Lk] mask is the causal mask
    const tri = nx.fromArray([[[1, 0, 0], [1, 1, 0], [1, 1, 1]]]);
    const c = attn.apply(vars, { query: x, mask: tri }).y;
    const d = attn.apply(vars, { query: x, causal: true }).y;
    const causalLayer = Layer.multiHeadAttention({ embedDim: 4, numHeads: 2, causal: true });
    const e = causalLayer.apply(vars, x).y;
    expectClose(values(c), values(d), 1e-6);
    expectClose(values(e), values(d), 1e-6);
    nx.dispose([vars.params, x, a, b, tri, c, d, e]);
  });

  it('has correct gradients (params and input), with GQA, padding and causal masks', () => {
    const attn = Layer.multiHeadAttention({ embedDim: 4, numHeads: 2, numKvHeads: 1 });
    const vars = attn.init({ key });
    const x = nx.random.normal(nx.random.key(4), [2, 3, 4]);
    const mask = nx.fromArray([[1, 1, 0], [1, 1, 1]]);
    const layer: Layer.Layer = { init: attn.init, apply: (v, t, o) => attn.apply(v, { query: t, mask, causal: true }, o) };
    checkLayerGrad(layer, vars, x, { maxPoints: 8 });
    nx.dispose([vars.params, x, mask]);
  });

  it('applies dropout to the probabilities only in training, with a key', () => {
    const attn = Layer.multiHeadAttention({ embedDim: 4, numHeads: 2, dropout: 0.5 });
    const vars = attn.init({ key });
    const x = nx.random.normal(nx.random.key(5), [2, 6, 4]);
    const ev1 = attn.apply(vars, x).y;
    const ev2 = attn.apply(vars, x, { key: nx.random.key(1) }).y;
    expect(values(ev1)).toEqual(values(ev2));
    const t1 = attn.apply(vars, x, { training: true, key: nx.random.key(1) }).y;
    const t2 = attn.apply(vars, x, { training: true, key: nx.random.key(1) }).y;
    const t3 = attn.apply(vars, x, { training: true, key: nx.random.key(2) }).y;
    expect(values(t1)).toEqual(values(t2));
    expect(values(t1)).not.toEqual(values(t3));
    expect(values(t1)).not.toEqual(values(ev1));
    expect(() => attn.apply(vars, x, { training: true })).toThrow(/no key was given/);
    nx.dispose([vars.params, x, ev1, ev2, t1, t2, t3]);
  });

  it('rejects bad sizes and shapes with clear messages; no leaks', () => {
    expect(() => Layer.multiHeadAttention({ embedDim: 6, numHeads: 4 })).toThrow(/embedDim 6 must be a multiple of numHeads 4/);
    expect(() => Layer.multiHeadAttention({ embedDim: 6, numHeads: 3, numKvHeads: 2 })).toThrow(/numHeads 3 must be a multiple of numKvHeads 2/);
    const attn = Layer.multiHeadAttention({ embedDim: 4, numHeads: 2 });
    const vars = attn.init({ key });
    const x = nx.ones([2, 3, 4]);
    expect(() => attn.apply(vars, nx.ones([2, 3, 5]))).toThrow(LayerError);
    expect(() => attn.apply(vars, { query: x, mask: nx.ones([2, 4]) })).toThrow(/mask must be \[B, Lk\] = \[2, 3\]/);
    const before = nx.memory().numTensors;
    for (let i = 0; i < 5; i++) attn.apply(vars, { query: x, causal: true, mask: undefined }).y.dispose();
    nx.scope(() => { for (let i = 0; i < 5; i++) attn.apply(vars, x); });
    expect(nx.memory().numTensors).toBe(before);
    nx.dispose([vars.params, x]);
  });
});

describe('Layer.scaledDotProductAttention', () => {
  it('softmax(q k^T / sqrt(d)) v on a hand-sized case, with a broadcast mask and a custom scale', () => {
    // one batch, one head, 2 queries, 2 keys, d = 1
    const q = nx.fromArray([[[[1], [2]]]]);
    const k = nx.fromArray([[[[0], [1]]]]);
    const v = nx.fromArray([[[[10], [20]]]]);
    const out = Layer.scaledDotProductAttention(q, k, v);
    const p1 = 1 / (1 + Math.exp(-1)); // weight of key 1 for query 1: softmax([0, 1])
    const p2 = 1 / (1 + Math.exp(-2));
    expectClose(values(out), [10 * (1 - p1) + 20 * p1, 10 * (1 - p2) + 20 * p2]);
    const masked = Layer.scaledDotProductAttention(q, k, v, { mask: nx.fromArray([[[[true, false]]]]) });
    expectClose(values(masked), [10, 10]);
    const scaled = Layer.scaledDotProductAttention(q, k, v, { scale: 0 });
    expectClose(values(scaled), [15, 15]);
    expect(() => Layer.scaledDotProductAttention(q, k, v, { dropout: 0.1 })).toThrow(/needs a key/);
    expect(() => Layer.scaledDotProductAttention(q, nx.ones([1, 1, 2, 2]), v)).toThrow(LayerError);
    nx.dispose([q, k, v, out, masked, scaled]);
  });
});
