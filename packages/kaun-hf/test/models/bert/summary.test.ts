/** Layer.summary on BERT (the bert-tiny fixture's configuration): its modules get rows. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Layer, Optim, Ptree } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';
import { TINY } from './_fixtures.js';

describe('Layer.summary of BERT', () => {
  it('shows the Hugging Face module tree with output shapes and exact counts', () => {
    const config = Bert.parseConfig(JSON.parse(readFileSync(`${TINY}/config.json`, 'utf8')));
    const model = Bert.bertForSequenceClassification(config);
    const vars = model.init({ key: nx.random.key(0) });
    const inputIds = nx.fromArray([[101, 7592, 2088, 102, 0]], { dtype: 'int32' });
    const frozen = Optim.matchPaths('bert.embeddings.**');
    const s = Layer.summary(model, { input: { inputIds }, vars, depth: 4, trainable: (p) => !frozen(p) });
    const row = (path: string) => s.rows.find((r) => r.path === path);
    const h = config.hidden_size;
    expect(row('')?.output.startsWith(`{ logits: [1, ${config.num_labels}], lastHiddenState: [1, 5, ${config.hidden_size}]`)).toBe(true);
    expect(row('bert.embeddings')?.output).toBe(`[1, 5, ${h}]`);
    expect(row('bert.encoder.layer.1')).toMatchObject({ kind: 'Bert.layer', output: `[1, 5, ${h}]` });
    expect(row('bert.encoder.layer.0.attention.self.query')).toMatchObject({ kind: 'linear', params: h * h + h });
    expect(row('bert.pooler')?.output).toBe(`[1, ${h}]`);
    expect(row('classifier')).toMatchObject({ kind: 'linear', output: `[1, ${config.num_labels}]`, params: h * config.num_labels + config.num_labels });
    expect(s.total).toBe(Ptree.countParameters(vars.params));
    const embeddings = Ptree.countParameters(Ptree.get(vars.params, 'bert.embeddings'));
    expect(s.nonTrainable).toBe(embeddings);
    expect(s.text.split('\n').some((l) => /^ {6}layer\.0 \(Bert\.layer\)/.test(l)), s.text).toBe(true);
    Ptree.dispose(vars.params);
  });
});
