// savePretrained for causal LMs: the folder transformers' save_pretrained writes (config,
// generation config, weights with the fixture's keys and shapes, tokenizer files, chat template),
// sharded above a size, BF16 on request (bit-identical to the BF16 fixture), and a reload that
// gives the same logits and tokens.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Ptree } from '@raven/kaun';
import { CausalLM, savePretrained } from '@raven/kaun-hf';
import { CAUSAL_FIXTURES, causalReference, fixtureDir, maxDiff } from '../../helpers/causal-fixtures.js';
import { scratchDirs } from '../../helpers/temp.js';

const scratch = scratchDirs('kaun-hf-causal-save-');
const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

async function headerOf(dir: string): Promise<Record<string, number[]>> {
  const files = (() => {
    try {
      const index = json(join(dir, 'model.safetensors.index.json')) as { weight_map: Record<string, string> };
      return [...new Set(Object.values(index.weight_map))];
    } catch {
      return ['model.safetensors'];
    }
  })();
  const out: Record<string, number[]> = {};
  for (const f of files) for (const [k, v] of Object.entries((await nx.io.readSafetensorsHeader(join(dir, f))).tensors)) out[k] = v.shape;
  return out;
}

describe.each(CAUSAL_FIXTURES)('savePretrained (%s)', (name) => {
  const ref = causalReference(name);

  it('writes the layout transformers writes and reloads to the same logits, tokens and chat template', async () => {
    const src = await CausalLM.fromPretrained(fixtureDir(name), { logger: false });
    const dir = scratch();
    const saved = await savePretrained(dir, { model: src.model, vars: src.vars, tokenizer: src.tokenizer });
    const expected = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
    if (src.tokenizer!.chatTemplate !== undefined) expected.push('chat_template.jinja');
    expect([...saved.files].sort()).toEqual(expected.sort());
    expect(await headerOf(dir)).toEqual(await headerOf(fixtureDir(name)));
    const config = json(join(dir, 'config.json'));
    const fixture = json(join(fixtureDir(name), 'config.json'));
    for (const k of Object.keys(fixture).filter((key) => !['dtype', 'transformers_version', 'rope_theta'].includes(key))) expect([k, config[k]]).toEqual([k, fixture[k]]);
    expect(config['dtype']).toBe('float32');
    expect(json(join(dir, 'generation_config.json'))).toEqual(json(join(fixtureDir(name), 'generation_config.json')));
    const back = await CausalLM.fromPretrained(dir, { logger: false });
    const ids = nx.fromArray(ref.batch.input_ids, { dtype: 'int32' });
    const mask = nx.fromArray(ref.batch.attention_mask, { dtype: 'int32' });
    const a = src.model.apply(src.vars, { inputIds: ids, attentionMask: mask }).y.logits;
    const b = back.model.apply(back.vars, { inputIds: ids, attentionMask: mask }).y.logits;
    expect(await maxDiff(a, b)).toBe(0);
    expect(back.tokenizer!.encode(ref.prompts[0]!).ids).toEqual(ref.prompt_ids[0]);
    expect(back.tokenizer!.chatTemplate).toBe(src.tokenizer!.chatTemplate);
    expect(back.model.generation.eosTokenIds).toEqual(src.model.generation.eosTokenIds);
    nx.dispose([a, b, ids, mask, src.vars.params, back.vars.params]);
  });
});

describe('savePretrained options', () => {
  it('shards above maxShardSize with an index, and BF16 storage is bit-identical to the BF16 fixture', async () => {
    const src = await CausalLM.fromPretrained(fixtureDir('llama-tiny'), { logger: false, tokenizer: false });
    const dir = scratch();
    const saved = await savePretrained(dir, { model: src.model, vars: src.vars, maxShardSize: '70KB', dtype: 'BF16' });
    expect(saved.files).toContain('model.safetensors.index.json');
    expect(saved.files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    expect(json(join(dir, 'config.json'))['dtype']).toBe('bfloat16');
    const mine = await CausalLM.fromPretrained(dir, { logger: false, tokenizer: false });
    const theirs = new Map(Ptree.flattenWithPaths(src.vars.params));
    const entries = Ptree.flattenWithPaths(mine.vars.params);
    expect(entries.map(([k]) => k).sort()).toEqual([...theirs.keys()].sort());
    for (const [k, t] of entries) expect([k, await maxDiff(t, theirs.get(k)!)]).toEqual([k, 0]);
    nx.dispose([src.vars.params, mine.vars.params]);
  });
});
