import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Optim, Ptree } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';
import { TINY, maxAbsDiff, tinyInputs, tinyReference } from './_fixtures.js';

// fixtures/bert-tiny/reference.json holds five steps of torch.optim.AdamW on BertForSequenceClassification
// (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight_decay 0.01 on every parameter, mean softmax
// cross-entropy, no dropout), computed by PyTorch: the loss before each step, the first step's
// classifier weight gradient and word-embedding gradient norm.
describe('BERT fine-tuning against PyTorch AdamW (bert-tiny)', { timeout: 60_000 }, () => {
  it('five AdamW steps reproduce the losses and the first-step gradients', async () => {
    const ref = tinyReference();
    const { model, vars } = await Bert.fromPretrained(TINY, { logger: false, tokenizer: false });
    const inputs = tinyInputs(ref);
    const labels = nx.fromArray(ref.labels, { dtype: 'int32' });
    const { leaves, rebuild } = Ptree.flatten(vars.params);
    const paths = Ptree.paths(vars.params);
    const lossOf = nx.valueAndGrad((...ps: nx.Tensor[]) => {
      const { y } = model.apply({ ...vars, params: rebuild(ps) }, { ...inputs, labels }, { training: false });
      return y.loss!;
    });
    const opt = Optim.adamw({ lr: ref.adamw.lr, b1: ref.adamw.betas[0], b2: ref.adamw.betas[1], eps: ref.adamw.eps, weightDecay: ref.adamw.weight_decay });
    let params = leaves;
    let state = opt.init(params);
    const losses: number[] = [];
    let counted = 0;
    for (let step = 0; step < 5; step++) {
      const { value, grads } = lossOf(...params);
      losses.push(nx.item(value) as number);
      if (step === 0) {
        const g = new Map(paths.map((p, i) => [p, grads[i]!]));
        expect(maxAbsDiff(g.get('classifier.weight')!, ref.adamw.first_step_grad_classifier_weight)).toBeLessThan(1e-5);
        const norm = nx.item(nx.scope(() => nx.sqrt(nx.sum(nx.square(g.get('bert.embeddings.word_embeddings.weight')!))))) as number;
        expect(Math.abs(norm - ref.adamw.first_step_grad_word_embeddings_norm)).toBeLessThan(1e-5);
      }
      const next = nx.scope(() => {
        const { updates, state: s } = opt.update(grads, state, params);
        return { params: Optim.applyUpdates(params, updates) as nx.Tensor[], state: s };
      });
      nx.dispose([value, grads, params, state]);
      params = next.params;
      state = next.state;
      if (step === 1) counted = nx.memory().numTensors;
      if (step > 1) expect(nx.memory().numTensors).toBe(counted); // no leak per step
    }
    for (let i = 0; i < 5; i++) expect(Math.abs(losses[i]! - ref.adamw.losses[i]!)).toBeLessThan(1e-4);
    // the loss went down, as in PyTorch
    expect(losses[4]!).toBeLessThan(losses[0]!);
    nx.dispose([params, state, inputs, labels]);
  });
});
