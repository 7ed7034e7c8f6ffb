// Layer.summary on the causal LMs (the gpt2/llama/gemma tiny fixtures): the decoder layers get
// rows, the output is the logits, and the total is every parameter, counted once even when the
// head is tied to the embeddings.
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Layer, Ptree } from '@raven/kaun';
import { CausalLM } from '@raven/kaun-hf';
import { fixtureDir } from '../../helpers/causal-fixtures.js';

describe('Layer.summary of the causal LMs', () => {
  it.each(['gpt2-tiny', 'llama-tiny', 'gemma-tiny'] as const)('%s', async (name) => {
    const { model, vars } = await CausalLM.fromPretrained(fixtureDir(name), { logger: false, tokenizer: false });
    const inputIds = nx.fromArray([[5, 9, 14, 3]], { dtype: 'int32' });
    const s = Layer.summary(model, { input: { inputIds }, vars, depth: 6 });
    expect(s.total).toBe(Ptree.countParameters(vars.params));
    const root = s.rows[0]!;
    expect(root.path).toBe('');
    expect(root.output).toMatch(/logits: \[1, 4, \d+\]/);
    // every decoder layer has a row of its own, with the hidden size as its last output axis
    const layers = s.rows.filter((r) => /(^|\.)(h|layers)\.\d+$/.test(r.path));
    expect(layers.length).toBeGreaterThanOrEqual(2);
    for (const r of layers) expect(r.output).toMatch(/^(\[1, 4, \d+\]|\{ hidden: \[1, 4, \d+\])/); // a tensor, or the record a decoder layer passes on
    expect(layers.every((r) => r.params === layers[0]!.params)).toBe(true);
    expect(s.text).toMatch(/Total params: [\d,]+/);
    nx.dispose([inputIds, vars.params]);
  });
});
