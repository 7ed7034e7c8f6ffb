import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Bert, ModelLoadError } from '@raven/kaun-hf';
import { TINY, tinyInputs, tinyReference } from './_fixtures.js';

const made: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'kaun-hf-bert-save-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Logits of a model on the reference batch, as plain numbers. */
function logits(model: Bert.SequenceClassifier, vars: Bert.Pretrained<Bert.SequenceClassifier>['vars']): number[] {
  const inputs = tinyInputs(tinyReference());
  const { y } = model.apply(vars, inputs);
  const out = Array.from(nx.toTypedArray(y.logits) as Float32Array);
  nx.dispose([y, inputs]);
  return out;
}

describe('Bert.savePretrained', { timeout: 60_000 }, () => {
  it('writes the Hugging Face layout of the fixture (same keys, shapes, dtypes) and reloads with identical predictions', async () => {
    const src = await Bert.fromPretrained(TINY, { logger: false, id2label: { 0: 'ham', 1: 'spam' } });
    const dir = tempDir();
    const saved = await Bert.savePretrained(dir, { model: src.model, vars: src.vars, tokenizer: src.tokenizer });
    expect(saved.files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json']));
    // the safetensors header as transformers would read it: the fixture's keys, shapes and dtypes
    const mine = await nx.io.readSafetensorsHeader(join(dir, 'model.safetensors'));
    const theirs = await nx.io.readSafetensorsHeader(join(TINY, 'model.safetensors'));
    const describe = (h: typeof mine) => Object.fromEntries(Object.entries(h.tensors).map(([k, v]) => [k, [v.dtype, v.shape]]));
    expect(describe(mine)).toEqual(describe(theirs));
    // format: pt (transformers requires it), plus kaun's checksums
    expect(Object.keys(mine.metadata).sort()).toEqual(['format', 'raven.crc32']);
    expect(mine.metadata['format']).toBe('pt');
    // config.json carries what transformers needs
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const fixture = JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['architectures']).toEqual(['BertForSequenceClassification']);
    expect(config['model_type']).toBe('bert');
    expect(config['id2label']).toEqual({ '0': 'ham', '1': 'spam' });
    expect(config['label2id']).toEqual({ ham: 0, spam: 1 });
    for (const k of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size', 'hidden_act', 'layer_norm_eps', 'pad_token_id']) {
      expect(config[k]).toEqual(fixture[k]);
    }
    // reload: identical predictions and tokenizer
    const back = await Bert.fromPretrained(dir, { logger: false });
    expect(back.report.newlyInitialized).toEqual([]);
    expect(back.config.id2label).toEqual({ 0: 'ham', 1: 'spam' });
    expect(logits(back.model, back.vars)).toEqual(logits(src.model, src.vars));
    expect(back.tokenizer!.encode('Héllo, wörld!').ids).toEqual(src.tokenizer!.encode('Héllo, wörld!').ids);
    nx.dispose([src.vars.params, back.vars.params]);
  });

  it('shards above maxShardSize with an index, and a later single-file save removes the shards', async () => {
    const src = await Bert.fromPretrained(TINY, { logger: false, tokenizer: false });
    const dir = tempDir();
    const saved = await Bert.savePretrained(dir, { model: src.model, vars: src.vars, maxShardSize: '1MB' });
    const shards = saved.files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    // the word embeddings alone are 30522 * 32 * 4 bytes = 3.9 MB: a shard of their own, the rest in another
    expect(shards).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { metadata: { total_size: number }; weight_map: Record<string, string> };
    const expectedTotal = Bert.paramSpecs(src.config, 'BertForSequenceClassification').reduce((s, p) => s + 4 * p.shape.reduce((a, b) => a * b, 1), 0);
    expect(index.metadata.total_size).toBe(expectedTotal);
    expect(Object.keys(index.weight_map).sort()).toEqual(Object.keys((await nx.io.readSafetensorsHeader(join(TINY, 'model.safetensors'))).tensors).sort());
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
    const back = await Bert.fromPretrained(dir, { logger: false, tokenizer: false });
    expect(logits(back.model, back.vars)).toEqual(logits(src.model, src.vars));
    await Bert.savePretrained(dir, { model: src.model, vars: src.vars });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    nx.dispose([src.vars.params, back.vars.params]);
  });

  it('saves a BertModel without prefix, which a classifier then loads with a fresh head', async () => {
    const base = await Bert.fromPretrained(TINY, { architecture: 'BertModel', logger: false, tokenizer: false });
    const dir = tempDir();
    await Bert.savePretrained(dir, { model: base.model, vars: base.vars });
    const header = await nx.io.readSafetensorsHeader(join(dir, 'model.safetensors'));
    expect(header.names).toContain('embeddings.word_embeddings.weight');
    expect(header.names.some((n) => n.startsWith('bert.') || n.startsWith('classifier.'))).toBe(false);
    const cls = await Bert.fromPretrained(dir, { logger: false, tokenizer: false });
    expect(cls.report.newlyInitialized).toEqual(['classifier.weight', 'classifier.bias']);
    nx.dispose([base.vars.params, cls.vars.params]);
  });

  it('refuses variables that do not fit the model', async () => {
    const config = Bert.parseConfig({ vocab_size: 50, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 16 });
    const model = Bert.bertForSequenceClassification(config);
    const vars = model.init({ key: nx.random.key(1) });
    const other = Bert.bertModel(config);
    const err = await Bert.savePretrained(tempDir(), { model: other, vars }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/\d+ parameter\(s\) missing: 'embeddings.word_embeddings.weight'/);
    expect((err as Error).message).toMatch(/\d+ key\(s\) that are not parameters of BertModel: 'bert.embeddings.word_embeddings.weight'/);
    nx.dispose(vars.params);
  });
});
