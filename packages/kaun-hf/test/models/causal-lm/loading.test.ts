// CausalLM.fromPretrained: the class from model_type, clear errors for what cannot load, key
// matching (a base-model checkpoint, buffers, a stored tied head, an untied head missing), RoPE
// settings in both the transformers-5 and the older form, and the Llama family's relatives.
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { CausalLM, Gemma, Llama, ModelLoadError } from '@raven/kaun-hf';
import { fixtureDir, maxDiff } from '../../helpers/causal-fixtures.js';
import { scratchDirs } from '../../helpers/temp.js';

const scratch = scratchDirs('kaun-hf-causal-load-');
const int32 = (rows: number[][]): nx.Tensor => nx.fromArray(rows, { dtype: 'int32' });

/** A copy of a fixture folder with some files replaced or left out. */
function variant(name: 'gpt2-tiny' | 'llama-tiny' | 'gemma-tiny', change: { drop?: string[]; config?: (c: Record<string, unknown>) => Record<string, unknown> } = {}): string {
  const dir = scratch();
  for (const f of readdirSync(fixtureDir(name))) if (!(change.drop ?? []).includes(f)) copyFileSync(join(fixtureDir(name), f), join(dir, f));
  if (change.config) {
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(change.config(c)));
  }
  return dir;
}

/** Rewrites the weights of a folder (one model.safetensors) through `edit`. */
async function rewriteWeights(dir: string, edit: (entries: Array<[string, nx.Tensor]>) => Array<[string, nx.Tensor]>): Promise<void> {
  const { tensors } = await nx.io.loadSafetensors(join(dir, 'model.safetensors'));
  const out = edit(tensors);
  await nx.io.saveSafetensors(join(dir, 'model.safetensors'), out, { metadata: { format: 'pt' } });
  nx.dispose(tensors);
}

async function logits(dir: string, ids = [[5, 9, 14, 3]]): Promise<nx.Tensor> {
  const { model, vars } = await CausalLM.fromPretrained(dir, { logger: false, tokenizer: false });
  const y = model.apply(vars, { inputIds: int32(ids) }).y.logits;
  nx.dispose(vars.params);
  return y;
}

describe('CausalLM.fromPretrained: what cannot load', () => {
  it('an unsupported model_type lists the supported ones', async () => {
    const dir = variant('gpt2-tiny', { config: (c) => ({ ...c, model_type: 'bert' }) });
    await expect(CausalLM.fromPretrained(dir)).rejects.toThrow(ModelLoadError);
    await expect(CausalLM.fromPretrained(dir)).rejects.toThrow(/model_type "bert", which is not a supported causal language model; supported model_types: gpt2, llama, mistral, qwen2, gemma/);
    expect(CausalLM.MODEL_TYPES).toEqual(['gpt2', 'llama', 'mistral', 'qwen2', 'gemma']);
  });

  it('a folder without config.json says which file is missing', async () => {
    await expect(CausalLM.fromPretrained(variant('gpt2-tiny', { drop: ['config.json'] }))).rejects.toThrow(/config\.json/);
  });

  it.each([
    ['gpt2-tiny', { n_embd: 30, n_head: 4 }, /Gpt2.parseConfig: n_embd 30 is not a multiple of n_head 4/],
    ['llama-tiny', { rope_parameters: { rope_type: 'yarn', rope_theta: 10000, factor: 4 } }, /RoPE type "yarn" is not supported; supported: default, linear, llama3/],
    ['llama-tiny', { num_key_value_heads: 3 }, /num_attention_heads 4 is not a multiple of num_key_value_heads 3/],
    ['gemma-tiny', { eos_token_id: 5000 }, /eos_token_id 5000 is outside the vocabulary \(vocab_size 1024\)/],
  ] as const)('a bad config (%s) names the key', async (name, patch, message) => {
    await expect(CausalLM.fromPretrained(variant(name, { config: (c) => ({ ...c, ...patch }) }))).rejects.toThrow(message);
  });

  it('a tokenizer that cannot be read names the file and what to do', async () => {
    const dir = variant('llama-tiny', { drop: ['tokenizer.json'] });
    await expect(CausalLM.fromPretrained(dir)).rejects.toThrow(/has tokenizer_config\.json but no tokenizer\.json.*tokenizer: false/);
    writeFileSync(join(dir, 'tokenizer.model'), 'sentencepiece');
    await expect(CausalLM.fromPretrained(dir)).rejects.toThrow(/tokenizer\.model \(SentencePiece\)/);
    const { tokenizer, vars } = await CausalLM.fromPretrained(dir, { tokenizer: false, logger: false });
    expect(tokenizer).toBeUndefined();
    nx.dispose(vars.params);
  });

  it('missing weights are listed; a shape that does not fit is named', async () => {
    const dir = variant('gpt2-tiny');
    await rewriteWeights(dir, (e) => e.filter(([k]) => !k.includes('h.1.mlp')));
    await expect(CausalLM.fromPretrained(dir, { logger: false })).rejects.toThrow(/lacks 4 weight\(s\) of GPT2LMHeadModel: \['transformer.h.1.mlp.c_fc.weight'/);
    const dir2 = variant('gpt2-tiny', { config: (c) => ({ ...c, n_positions: 64 }) });
    await expect(CausalLM.fromPretrained(dir2, { logger: false })).rejects.toThrow(/'transformer.wpe.weight' has shape \[128, 32\], the model expects \[64, 32\]/);
  });
});

describe('CausalLM.fromPretrained: key matching', () => {
  it('a GPT2Model checkpoint (no transformer. prefix, with attn.bias buffers) loads silently with the same logits', async () => {
    const dir = variant('gpt2-tiny');
    await rewriteWeights(dir, (e) => [
      ...e.map(([k, t]) => [k.replace(/^transformer\./, ''), t] as [string, nx.Tensor]),
      ['h.0.attn.bias', nx.ones([1, 1, 128, 128])], ['h.0.attn.masked_bias', nx.scalar(-1e4)],
    ]);
    const warnings: string[] = [];
    const { report, vars } = await CausalLM.fromPretrained(dir, { logger: { warn: (m) => warnings.push(m) }, tokenizer: false });
    expect(report).toEqual({ newlyInitialized: [], unused: [], mismatched: [] });
    expect(warnings).toEqual([]);
    expect(await maxDiff(await logits(dir), await logits(fixtureDir('gpt2-tiny')))).toBe(0);
    nx.dispose(vars.params);
  });

  it('a stored copy of a tied head is ignored; an untied head the checkpoint lacks starts fresh with a warning', async () => {
    const gemma = variant('gemma-tiny');
    await rewriteWeights(gemma, (e) => [...e, ['lm_head.weight', e.find(([k]) => k === 'model.embed_tokens.weight')![1]]]);
    const g = await CausalLM.fromPretrained(gemma, { logger: false, tokenizer: false });
    expect(g.report.unused).toEqual([]);
    nx.dispose(g.vars.params);
    const llama = variant('llama-tiny');
    const index = JSON.parse(readFileSync(join(llama, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    const shard = index.weight_map['lm_head.weight']!;
    const { tensors } = await nx.io.loadSafetensors(join(llama, shard));
    await nx.io.saveSafetensors(join(llama, shard), tensors.filter(([k]) => k !== 'lm_head.weight'), { metadata: { format: 'pt' } });
    delete index.weight_map['lm_head.weight'];
    writeFileSync(join(llama, 'model.safetensors.index.json'), JSON.stringify(index));
    const warnings: string[] = [];
    const l = await CausalLM.fromPretrained(llama, { logger: { warn: (m) => warnings.push(m) }, tokenizer: false });
    expect(l.report.newlyInitialized).toEqual(['lm_head.weight']);
    expect(warnings.join('\n')).toMatch(/Some weights of LlamaForCausalLM were not initialized from the model checkpoint .* newly initialized: \['lm_head.weight'\]/);
    nx.dispose([tensors, l.vars.params]);
  });
});

describe('RoPE settings', () => {
  it('the older rope_theta form loads like transformers 5\'s rope_parameters', async () => {
    const old = variant('llama-tiny', {
      config: (c) => {
        const { rope_parameters: _r, ...rest } = c;
        return { ...rest, rope_theta: 10000.0 };
      },
    });
    expect(await maxDiff(await logits(old), await logits(fixtureDir('llama-tiny')))).toBe(0);
    const scaled = variant('llama-tiny', { config: (c) => ({ ...c, rope_parameters: undefined, rope_theta: 10000.0, rope_scaling: { type: 'linear', factor: 2.0 } }) });
    // linear scaling by 2 is RoPE at half the positions: positions 0, 2, 4, 6 with scaling = 0, 1, 2, 3 without
    const { model: m2, vars: v2 } = await CausalLM.fromPretrained(scaled, { logger: false, tokenizer: false });
    const { model: m1, vars: v1 } = await CausalLM.fromPretrained(fixtureDir('llama-tiny'), { logger: false, tokenizer: false });
    const ids = int32([[5, 9, 14, 3]]);
    const a = m2.apply(v2, { inputIds: ids, positionIds: int32([[0, 2, 4, 6]]) }).y.logits;
    const b = m1.apply(v1, { inputIds: ids, positionIds: int32([[0, 1, 2, 3]]) }).y.logits;
    expect(await maxDiff(a, b)).toBeLessThan(1e-5);
    nx.dispose([v1.params, v2.params]);
  });

  it('inverse frequencies of linear and llama3 scaling equal transformers\'', () => {
    // values printed by transformers 5.18's ROPE_INIT_FUNCTIONS for these settings (head_dim 64)
    const llama3 = Llama.inverseFrequencies({ rope_type: 'llama3', rope_theta: 500000, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 }, 64);
    const want3 = [1.0, 0.12868738174438477, 0.016560440883040428, 0.0032114461064338684, 0.0001785077911335975, 3.428102354519069e-5, 4.411534519022098e-6, 3.76732259610435e-7];
    [0, 5, 10, 14, 17, 20, 25, 31].forEach((i, j) => expect(Math.abs(llama3[i]! - want3[j]!) / want3[j]!).toBeLessThan(1e-6));
    const linear = Llama.inverseFrequencies({ rope_type: 'linear', rope_theta: 10000, factor: 4 }, 64);
    const wantL = [0.25, 0.0333380363881588, 0.0033338037319481373, 3.333803761051968e-5];
    [0, 7, 15, 31].forEach((i, j) => expect(Math.abs(linear[i]! - wantL[j]!) / wantL[j]!).toBeLessThan(1e-6));
  });
});

describe('the Llama family\'s relatives', () => {
  it('Mistral and Qwen2 configs parse with their defaults; Qwen2 has q/k/v biases, not o', () => {
    const m = Llama.parseConfig({ model_type: 'mistral', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 100, sliding_window: 16 });
    expect([m.model_type, m.sliding_window, m.bos_token_id, m.eos_token_id]).toEqual(['mistral', 16, 1, 2]);
    const q = Llama.parseConfig({ model_type: 'qwen2', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 100, sliding_window: 16, rope_theta: 1e6 });
    expect([q.sliding_window, q.rope_parameters.rope_theta]).toEqual([null, 1e6]);
    const biases = Llama.paramSpecs(q).filter((s) => s.path.endsWith('.bias')).map((s) => s.path);
    expect(biases).toEqual(['model.layers.0.self_attn.q_proj.bias', 'model.layers.0.self_attn.k_proj.bias', 'model.layers.0.self_attn.v_proj.bias']);
    expect(Llama.llamaForCausalLM(q).hf.architecture).toBe('Qwen2ForCausalLM');
    expect(() => Llama.parseConfig({ model_type: 'gemma' })).toThrow(/reads "llama", "mistral" and "qwen2" configs/);
    expect(() => Gemma.parseConfig({ model_type: 'llama' })).toThrow(/only "gemma" configs/);
  });

  it('Mistral refuses sequences beyond its sliding window (not implemented) instead of computing them wrong', () => {
    const model = Llama.llamaForCausalLM(Llama.parseConfig({ model_type: 'mistral', hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 50, sliding_window: 4 }));
    const vars = model.init({ key: nx.random.key(0) });
    expect(() => model.apply(vars, { inputIds: int32([[1, 2, 3]]), attentionMask: int32([[1, 1, 1]]) })).not.toThrow();
    expect(() => model.apply(vars, { inputIds: int32([[1, 2, 3, 4, 5]]) })).toThrow(/5 tokens exceed the sliding window of 4/);
    nx.dispose(vars.params);
  });
});
