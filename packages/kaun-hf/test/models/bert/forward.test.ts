import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Bert } from '@raven/kaun-hf';
import { TINY, maxAbsDiff, tinyInputs, tinyReference } from './_fixtures.js';

// bert-tiny's reference outputs were computed by PyTorch (fixtures/bert-tiny/PROVENANCE.md).
describe('BERT forward against PyTorch (bert-tiny)', { timeout: 60_000 }, () => {
  const ref = tinyReference();

  it('BertForSequenceClassification matches last_hidden_state, pooler_output and logits within 1e-4', async () => {
    const { model, vars, config, tokenizer } = await Bert.fromPretrained(TINY, { logger: false });
    expect(model.architecture).toBe('BertForSequenceClassification');
    expect(config.hidden_size).toBe(32);
    expect(tokenizer).toBeDefined();
    const before = nx.memory().numTensors;
    const inputs = tinyInputs(ref);
    const { y } = model.apply(vars, inputs);
    expect(y.lastHiddenState.shape).toEqual([3, 12, 32]);
    expect(maxAbsDiff(y.lastHiddenState, ref.last_hidden_state)).toBeLessThan(1e-4);
    expect(maxAbsDiff(y.poolerOutput, ref.pooler_output)).toBeLessThan(1e-4);
    expect(maxAbsDiff(y.logits, ref.logits)).toBeLessThan(1e-4);
    nx.dispose([y, inputs]);
    expect(nx.memory().numTensors).toBe(before);
    nx.dispose(vars.params);
  });

  it('BertModel loads the prefixed checkpoint and gives the same hidden states', async () => {
    const { model, vars, report } = await Bert.fromPretrained(TINY, { architecture: 'BertModel', logger: false });
    expect(report.unused).toEqual(['classifier.weight', 'classifier.bias']);
    const inputs = tinyInputs(ref);
    const { y } = model.apply(vars, inputs);
    expect(maxAbsDiff(y.lastHiddenState, ref.last_hidden_state)).toBeLessThan(1e-4);
    expect(maxAbsDiff(y.poolerOutput!, ref.pooler_output)).toBeLessThan(1e-4);
    nx.dispose([y, inputs, vars.params]);
  });

  it('padding does not change the outputs of real tokens (row 1 alone, unpadded)', async () => {
    const { model, vars } = await Bert.fromPretrained(TINY, { logger: false, tokenizer: false });
    const row = 1;
    const n = ref.attention_mask[row]!.reduce((a, b) => a + b, 0);
    expect(n).toBeLessThan(12); // the fixture pads this row
    const ids = nx.fromArray([ref.input_ids[row]!.slice(0, n)], { dtype: 'int32' });
    const { y } = model.apply(vars, { inputIds: ids });
    const expected = ref.last_hidden_state[row]!.slice(0, n);
    expect(maxAbsDiff(y.lastHiddenState, [expected])).toBeLessThan(1e-4);
    expect(maxAbsDiff(y.logits, [ref.logits[row]])).toBeLessThan(1e-4);
    nx.dispose([y, ids, vars.params]);
  });
});
