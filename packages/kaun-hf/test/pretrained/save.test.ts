// The shared savePretrained: any layer carrying an HfDescriptor (BERT here; the causal LMs have
// their own tests) is written in Hugging Face layout and loads back unchanged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Bert, ModelLoadError, savePretrained } from '@raven/kaun-hf';
import { TINY, tinyInputs, tinyReference } from '../models/bert/_fixtures.js';
import { scratchDirs } from '../helpers/temp.js';

const tempDir = scratchDirs('kaun-hf-save-');

function logits(model: Bert.SequenceClassifier, vars: nx.Tensor | object): Float32Array {
  const inputs = tinyInputs(tinyReference());
  const { y } = model.apply(vars as never, inputs);
  const out = nx.toTypedArray(y.logits) as Float32Array;
  nx.dispose([y, inputs]);
  return out;
}

describe('savePretrained (shared)', () => {
  it('writes a BERT model that Bert.fromPretrained reads back exactly', async () => {
    const src = await Bert.fromPretrained(TINY, { logger: false });
    const dir = tempDir();
    const saved = await savePretrained(dir, { model: src.model, vars: src.vars, tokenizer: src.tokenizer });
    expect(saved.files).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json']);
    const back = await Bert.fromPretrained(dir, { logger: false });
    expect(Array.from(logits(back.model, back.vars))).toEqual(Array.from(logits(src.model, src.vars)));
    nx.dispose([src.vars.params, back.vars.params]);
  });

  it('stores BF16 on request and says so in config.json; the reload is the rounded model', async () => {
    const src = await Bert.fromPretrained(TINY, { logger: false, tokenizer: false });
    const dir = tempDir();
    await savePretrained(dir, { model: src.model, vars: src.vars, dtype: 'BF16' });
    const header = await nx.io.readSafetensorsHeader(join(dir, 'model.safetensors'));
    expect(new Set(Object.values(header.tensors).map((t) => t.dtype))).toEqual(new Set(['BF16']));
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))['torch_dtype']).toBe('bfloat16');
    const back = await Bert.fromPretrained(dir, { logger: false, tokenizer: false });
    const a = logits(src.model, src.vars);
    const b = logits(back.model, back.vars);
    const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    expect(diff).toBeGreaterThan(0); // rounded to 8 mantissa bits ...
    expect(diff).toBeLessThan(0.05); // ... but the same model
    nx.dispose([src.vars.params, back.vars.params]);
  });

  it('refuses what is not a Hugging Face model, and unknown options', async () => {
    const vars = { params: {}, state: {}, dtype: 'float32' as const };
    await expect(savePretrained(tempDir(), { model: {} as never, vars })).rejects.toThrow(ModelLoadError);
    await expect(savePretrained(tempDir(), { model: {} as never, vars })).rejects.toThrow(/must be a Hugging Face format model/);
    await expect(savePretrained(tempDir(), { model: {} as never, vars, maxShardSise: '1MB' } as never)).rejects.toThrow(/maxShardSise/);
  });
});
