import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Layer } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';
import { MINI, maxAbsDiff, miniReference } from './_fixtures.js';

// fixtures/bert-mini-mlm: a BertForMaskedLM saved by transformers as F16 with cls.* head keys;
// reference.json was computed by PyTorch in eval mode on the F16 weights cast to float32.
describe('a pretrained F16 masked-LM checkpoint (bert-mini-mlm)', { timeout: 60_000 }, () => {
  const ref = miniReference();

  it('loads into the classifier: fresh classifier, cls.* ignored, and a warning says so', async () => {
    const warnings: string[] = [];
    const { model, vars, report, config, tokenizer } = await Bert.fromPretrained(MINI, { logger: { warn: (m) => warnings.push(m) } });
    expect(model.architecture).toBe('BertForSequenceClassification');
    expect(config.num_labels).toBe(2);
    expect(report.newlyInitialized).toEqual(['classifier.weight', 'classifier.bias']);
    expect(report.unused.length).toBeGreaterThan(0);
    expect(report.unused.every((k) => k.startsWith('cls.'))).toBe(true);
    expect(warnings.some((w) => /newly initialized: \['classifier\.weight', 'classifier\.bias'\]/.test(w) && /TRAIN this model/.test(w))).toBe(true);
    expect(warnings.some((w) => /were not used when initializing BertForSequenceClassification/.test(w) && w.includes('cls.predictions.bias'))).toBe(true);
    // the fresh classifier follows transformers' init: N(0, 0.02^2) weights, zero bias
    const p = vars.params as { classifier: { weight: nx.Tensor; bias: nx.Tensor } };
    expect(p.classifier.weight.shape).toEqual([2, 128]);
    expect(Array.from(nx.toTypedArray(p.classifier.bias))).toEqual([0, 0]);
    const std = nx.item(nx.scope(() => nx.std(p.classifier.weight))) as number;
    expect(std).toBeGreaterThan(0.014);
    expect(std).toBeLessThan(0.026);
    // it runs on the tokenizer's batch
    const batch = tokenizer!.encodeBatch(['free money now', 'the meeting is at noon']);
    const { y } = model.apply(vars, batch);
    expect(y.logits.shape).toEqual([2, 2]);
    nx.dispose([y, batch, vars.params]);
  });

  it('BertModel gives PyTorch first-token hidden states within 1e-3, and the MLM head its top-5', async () => {
    const { model, vars } = await Bert.fromPretrained(MINI, { architecture: 'BertModel', logger: false, tokenizer: false });
    // the MLM head, computed here from the stored cls.* weights (transform, tied decoder, bias)
    const { tensors } = await nx.io.loadSafetensors(`${MINI}/model.safetensors`, { names: (n) => n.startsWith('cls.') });
    const head = new Map(tensors);
    const wordEmb = (vars.params as { embeddings: { word_embeddings: { weight: nx.Tensor } } }).embeddings.word_embeddings.weight;
    for (const s of ref.fill_mask) {
      const ids = nx.fromArray([s.input_ids], { dtype: 'int32' });
      const { y } = model.apply(vars, { inputIds: ids, attentionMask: nx.onesLike(ids) });
      expect(maxAbsDiff(nx.slice(y.lastHiddenState, [0, 0]), s.last_hidden_state_first_token)).toBeLessThan(1e-3);
      const logits = nx.scope(() => {
        const h = nx.slice(y.lastHiddenState, [0, s.mask_position]); // [H]
        let t = nx.add(nx.matmul(h, nx.transpose(head.get('cls.predictions.transform.dense.weight')!)), head.get('cls.predictions.transform.dense.bias')!);
        t = Layer.Activation.gelu(t);
        const mu = nx.mean(t);
        const c = nx.sub(t, mu);
        t = nx.add(nx.mul(nx.div(c, nx.sqrt(nx.add(nx.mean(nx.square(c)), 1e-12))), head.get('cls.predictions.transform.LayerNorm.weight')!), head.get('cls.predictions.transform.LayerNorm.bias')!);
        return nx.add(nx.matmul(wordEmb, t), head.get('cls.predictions.bias')!);
      });
      const values = Array.from(nx.toTypedArray(logits) as Float32Array);
      const top5 = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 5);
      expect(top5.map(([, i]) => i)).toEqual(s.top5_ids);
      top5.forEach(([v], i) => expect(Math.abs(v - s.top5_logits[i]!)).toBeLessThan(1e-2));
      nx.dispose([ids, y, logits]);
    }
    nx.dispose([tensors, vars.params]);
  });
});
