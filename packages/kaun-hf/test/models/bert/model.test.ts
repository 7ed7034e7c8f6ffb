import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { LayerError, Ptree } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';

const small = (overrides: Record<string, unknown> = {}): Bert.BertConfig =>
  Bert.parseConfig({ vocab_size: 20, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 12, max_position_embeddings: 10, num_labels: 3, ...overrides });

// ---- a BERT forward written out on plain arrays, from the published math of transformers' BertModel ----
type M = number[][];
const mat = (t: nx.Tensor): M => nx.toArray(t) as M;
const vec = (t: nx.Tensor): number[] => nx.toArray(t) as number[];
const linear = (x: M, w: M, b: number[]): M => x.map((r) => w.map((wr, o) => wr.reduce((s, wv, i) => s + wv * r[i]!, b[o]!)));
const add = (a: M, b: M): M => a.map((r, i) => r.map((v, j) => v + b[i]![j]!));
const layerNorm = (x: M, w: number[], b: number[], eps: number): M =>
  x.map((r) => {
    const mu = r.reduce((s, v) => s + v, 0) / r.length;
    const va = r.reduce((s, v) => s + (v - mu) ** 2, 0) / r.length;
    return r.map((v, j) => ((v - mu) / Math.sqrt(va + eps)) * w[j]! + b[j]!);
  });
/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
const erf = (x: number): number => {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
};
const ACTS: Record<string, (v: number) => number> = {
  gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  gelu_new: (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  relu: (v) => Math.max(v, 0),
};

function referenceForward(p: Record<string, nx.Tensor>, c: Bert.BertConfig, ids: number[], types: number[], mask: number[]): { hidden: M; logits: number[] } {
  const W = (k: string): M => mat(p[k]!);
  const V = (k: string): number[] => vec(p[k]!);
  const eps = c.layer_norm_eps;
  const we = W('bert.embeddings.word_embeddings.weight');
  const pe = W('bert.embeddings.position_embeddings.weight');
  const te = W('bert.embeddings.token_type_embeddings.weight');
  let h = ids.map((id, i) => we[id]!.map((v, j) => v + te[types[i]!]![j]! + pe[i]![j]!));
  h = layerNorm(h, V('bert.embeddings.LayerNorm.weight'), V('bert.embeddings.LayerNorm.bias'), eps);
  const heads = c.num_attention_heads;
  const d = c.hidden_size / heads;
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const pre = `bert.encoder.layer.${l}.`;
    const q = linear(h, W(pre + 'attention.self.query.weight'), V(pre + 'attention.self.query.bias'));
    const k = linear(h, W(pre + 'attention.self.key.weight'), V(pre + 'attention.self.key.bias'));
    const v = linear(h, W(pre + 'attention.self.value.weight'), V(pre + 'attention.self.value.bias'));
    const ctx = h.map(() => new Array<number>(c.hidden_size).fill(0));
    for (let hd = 0; hd < heads; hd++) {
      for (let i = 0; i < h.length; i++) {
        const s = h.map((_, j) => {
          let dot = 0;
          for (let e = 0; e < d; e++) dot += q[i]![hd * d + e]! * k[j]![hd * d + e]!;
          return mask[j] ? dot / Math.sqrt(d) : -Infinity;
        });
        const mx = Math.max(...s);
        const ex = s.map((x) => Math.exp(x - mx));
        const z = ex.reduce((a, b) => a + b, 0);
        for (let j = 0; j < h.length; j++) for (let e = 0; e < d; e++) ctx[i]![hd * d + e]! += (ex[j]! / z) * v[j]![hd * d + e]!;
      }
    }
    const a = layerNorm(add(linear(ctx, W(pre + 'attention.output.dense.weight'), V(pre + 'attention.output.dense.bias')), h), V(pre + 'attention.output.LayerNorm.weight'), V(pre + 'attention.output.LayerNorm.bias'), eps);
    const inter = linear(a, W(pre + 'intermediate.dense.weight'), V(pre + 'intermediate.dense.bias')).map((r) => r.map(ACTS[c.hidden_act]!));
    h = layerNorm(add(linear(inter, W(pre + 'output.dense.weight'), V(pre + 'output.dense.bias')), a), V(pre + 'output.LayerNorm.weight'), V(pre + 'output.LayerNorm.bias'), eps);
  }
  const pooled = linear([h[0]!], W('bert.pooler.dense.weight'), V('bert.pooler.dense.bias'))[0]!.map(Math.tanh);
  const logits = linear([pooled], W('classifier.weight'), V('classifier.bias'))[0]!;
  return { hidden: h, logits };
}

describe('Bert layers', { timeout: 60_000 }, () => {
  it.each(['gelu', 'gelu_new', 'relu'])('agree with the math written out (hidden_act %s, token types, padding)', (act) => {
    const config = small({ hidden_act: act, num_hidden_layers: 2 });
    const model = Bert.bertForSequenceClassification(config);
    const vars = model.init({ key: nx.random.key(7) });
    // LayerNorm weights of 1 and biases of 0 would hide mistakes: perturb every parameter
    const params = Ptree.map(vars.params, (t, path) => nx.add(t, nx.random.normal(nx.random.foldIn(nx.random.key(3), path.length * 31 + t.size), t.shape, { std: 0.3 })));
    const flat = Object.fromEntries(Ptree.flattenWithPaths(params));
    const rows = [
      { ids: [2, 5, 7, 11, 3, 0], types: [0, 0, 0, 1, 1, 0], mask: [1, 1, 1, 1, 1, 0] },
      { ids: [2, 19, 4, 0, 0, 0], types: [0, 0, 0, 0, 0, 0], mask: [1, 1, 1, 0, 0, 0] },
    ];
    const inputs = {
      inputIds: nx.fromArray(rows.map((r) => r.ids), { dtype: 'int32' }),
      tokenTypeIds: nx.fromArray(rows.map((r) => r.types), { dtype: 'int32' }),
      attentionMask: nx.fromArray(rows.map((r) => r.mask), { dtype: 'int32' }),
    };
    const { y } = model.apply({ ...vars, params }, inputs);
    const hidden = nx.toArray(y.lastHiddenState) as number[][][];
    const logits = nx.toArray(y.logits) as number[][];
    rows.forEach((r, b) => {
      const want = referenceForward(flat, config, r.ids, r.types, r.mask);
      r.mask.forEach((m, i) => {
        if (m) want.hidden[i]!.forEach((v, j) => expect(Math.abs(hidden[b]![i]![j]! - v)).toBeLessThan(1e-4));
      });
      want.logits.forEach((v, j) => expect(Math.abs(logits[b]![j]! - v)).toBeLessThan(1e-4));
    });
    nx.dispose([y, inputs, params, vars.params]);
  });

  it('init gives the paramSpecs paths and shapes, transformers-style values', () => {
    const config = small({ pad_token_id: 1, initializer_range: 0.5 });
    for (const arch of Bert.ARCHITECTURES) {
      const model: { init: Bert.BaseModel['init'] } = arch === 'BertModel' ? Bert.bertModel(config) : Bert.bertForSequenceClassification(config);
      const vars = model.init({ key: nx.random.key(0) });
      expect(vars.state).toEqual({});
      const got = Ptree.flattenWithPaths(vars.params).map(([k, t]) => [k, t.shape] as [string, number[]]);
      expect(new Map(got)).toEqual(new Map(Bert.paramSpecs(config, arch).map((s) => [s.path, s.shape])));
      const p = new Map(Ptree.flattenWithPaths(vars.params));
      const pre = arch === 'BertModel' ? '' : 'bert.';
      const word = nx.toArray(p.get(`${pre}embeddings.word_embeddings.weight`)!) as number[][];
      expect(word[1]!.every((v) => v === 0)).toBe(true); // padding row
      expect(word[0]!.some((v) => v !== 0)).toBe(true);
      expect(nx.toArray(p.get(`${pre}embeddings.LayerNorm.weight`)!)).toEqual(new Array(8).fill(1));
      expect(nx.toArray(p.get(`${pre}encoder.layer.0.attention.self.query.bias`)!)).toEqual(new Array(8).fill(0));
      const std = nx.item(nx.std(p.get(`${pre}encoder.layer.0.intermediate.dense.weight`)!)) as number;
      expect(std).toBeGreaterThan(0.4);
      expect(std).toBeLessThan(0.6);
      nx.dispose(vars.params);
    }
  });

  it('dropout: active only in training, reproducible by key, and a key is required', () => {
    const config = small({ hidden_dropout_prob: 0.3, attention_probs_dropout_prob: 0.3 });
    const model = Bert.bertForSequenceClassification(config);
    const vars = model.init({ key: nx.random.key(0) });
    const inputIds = nx.fromArray([[2, 3, 4, 5]], { dtype: 'int32' });
    const run = (o: { training?: boolean; key?: nx.random.Key }): number[] => {
      const { y } = model.apply(vars, { inputIds }, o);
      const out = Array.from(nx.toTypedArray(y.lastHiddenState) as Float32Array);
      nx.dispose(y);
      return out;
    };
    const evalA = run({});
    expect(run({ key: nx.random.key(1) })).toEqual(evalA);
    const trainA = run({ training: true, key: nx.random.key(1) });
    expect(trainA).not.toEqual(evalA);
    expect(run({ training: true, key: nx.random.key(1) })).toEqual(trainA);
    expect(run({ training: true, key: nx.random.key(2) })).not.toEqual(trainA);
    expect(() => model.apply(vars, { inputIds }, { training: true })).toThrow(/key/);
    nx.dispose([inputIds, vars.params]);
  });

  it('checks its inputs', () => {
    const config = small();
    const model = Bert.bertModel(config);
    const vars = model.init({ key: nx.random.key(0) });
    const long = nx.zeros([1, 11], 'int32');
    expect(() => model.apply(vars, { inputIds: long })).toThrow(LayerError);
    expect(() => model.apply(vars, { inputIds: long })).toThrow(/sequence length 11 exceeds max_position_embeddings 10/);
    const f = nx.zeros([1, 4]);
    expect(() => model.apply(vars, { inputIds: f })).toThrow(/inputIds must be int32 \[B, L\], got float32/);
    const ids = nx.zeros([2, 4], 'int32');
    const mask = nx.ones([2, 3], 'int32');
    expect(() => model.apply(vars, { inputIds: ids, attentionMask: mask })).toThrow(/attentionMask must have inputIds' shape \[2, 4\], got \[2, 3\]/);
    nx.dispose([long, f, ids, mask, vars.params]);
  });
});

describe('Bert.sequenceClassificationLoss picks the loss as transformers does', { timeout: 60_000 }, () => {
  const logits = [[0.5, -1, 2], [1.5, 0.25, -0.5]];
  const lse = (r: number[]): number => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));

  it('int labels: mean softmax cross-entropy', () => {
    const c = small();
    const l = Bert.sequenceClassificationLoss(c, nx.fromArray(logits), nx.fromArray([2, 0], { dtype: 'int32' }));
    const want = (lse(logits[0]!) - 2 + (lse(logits[1]!) - 1.5)) / 2;
    expect(nx.item(l)).toBeCloseTo(want, 5);
    expect(Bert.problemTypeOf(c, nx.fromArray([2, 0], { dtype: 'int32' }))).toBe('single_label_classification');
  });

  it('float multi-hot labels: mean sigmoid binary cross-entropy', () => {
    const c = small();
    const targets = [[1, 0, 1], [0, 0, 1]];
    const l = Bert.sequenceClassificationLoss(c, nx.fromArray(logits), nx.fromArray(targets));
    let s = 0;
    logits.forEach((r, i) => r.forEach((x, j) => { const p = 1 / (1 + Math.exp(-x)); s -= targets[i]![j]! * Math.log(p) + (1 - targets[i]![j]!) * Math.log(1 - p); }));
    expect(nx.item(l)).toBeCloseTo(s / 6, 5);
  });

  it('num_labels 1: mean squared error on flattened values', () => {
    const c = small({ num_labels: 1 });
    const l = Bert.sequenceClassificationLoss(c, nx.fromArray([[0.5], [2]]), nx.fromArray([1, 1]));
    expect(nx.item(l)).toBeCloseTo((0.25 + 1) / 2, 6);
    expect(Bert.problemTypeOf(c, nx.fromArray([1, 0], { dtype: 'int32' }))).toBe('regression');
  });

  it('problem_type in the config wins, and wrong labels are explained', () => {
    const c = small({ problem_type: 'multi_label_classification' });
    expect(() => Bert.sequenceClassificationLoss(c, nx.fromArray(logits), nx.fromArray([1, 0], { dtype: 'int32' }))).toThrow(/multi-label classification needs targets \[2, 3\], got int32 \[2\]/);
    const s = small();
    expect(() => Bert.sequenceClassificationLoss(s, nx.fromArray(logits), nx.fromArray([[1, 0, 0]], { dtype: 'int32' }))).toThrow(/single-label classification needs int32 class ids \[2\]/);
  });

  it('the model adds the loss when given labels', () => {
    const c = small();
    const model = Bert.bertForSequenceClassification(c);
    const vars = model.init({ key: nx.random.key(0) });
    const inputIds = nx.fromArray([[2, 3], [4, 5]], { dtype: 'int32' });
    const labels = nx.fromArray([1, 2], { dtype: 'int32' });
    const { y } = model.apply(vars, { inputIds, labels });
    expect(nx.item(y.loss!)).toBeCloseTo(nx.item(Bert.sequenceClassificationLoss(c, y.logits, labels)) as number, 6);
    nx.dispose([y, inputIds, labels, vars.params]);
  });
});
