// Folders written by savePretrained, loaded by transformers itself (AutoModelForCausalLM and
// AutoTokenizer), give our logits, greedy tokens, token ids and chat text. Runs where Python
// with transformers and torch is importable: $RAVEN_PYTHON, else python3; skipped otherwise,
// with the reason printed. Random models with every weight drawn large (biases and norms
// included), so nothing hides behind a zero initialisation.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Ptree } from '@raven/kaun';
import { CausalLM, Gemma, Gpt2, Llama, type Tokenizer, savePretrained } from '@raven/kaun-hf';
import { causalReference, fixtureDir } from '../../helpers/causal-fixtures.js';
import { scratchDirs } from '../../helpers/temp.js';

const python = process.env['RAVEN_PYTHON'] ?? 'python3';
const probe = spawnSync(python, ['-c', 'import transformers, torch; print(transformers.__version__, torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
const available = probe.status === 0;
const reason = available ? '' : `${python} cannot import transformers and torch (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}); set RAVEN_PYTHON to a Python that has them`;
if (!available) console.warn(`[skip] transformers comparison: ${reason}`);
else console.log(`[transformers] ${python}: transformers ${probe.stdout.trim()}`);

const script = fileURLToPath(new URL('../../helpers/transformers_compare.py', import.meta.url));
const scratch = scratchDirs('kaun-hf-causal-hf-');

interface Answer { architecture: string; logits: number[][][]; ids?: number[][]; chat?: string; generated?: number[][] }

/** Runs all requests in one Python process (importing torch takes seconds). */
function transformers(requests: Array<Record<string, unknown>>): Answer[] {
  const file = join(scratch(), 'requests.json');
  writeFileSync(file, JSON.stringify(requests));
  const r = spawnSync(python, [script, file], { encoding: 'utf8', timeout: 600_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`transformers failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Answer[];
}

/** Every weight redrawn `N(0, 0.3^2)`, biases and norms too, so none of them hides behind its initial value. */
function randomize(params: Ptree.Tree, seed: number): Ptree.Tree {
  let i = 0;
  return Ptree.map(params, (t) => nx.random.normal(nx.random.foldIn(nx.random.key(seed), i++), t.shape, { std: 0.3 }));
}

const FIXTURES = ['gpt2-tiny', 'llama-tiny', 'gemma-tiny'] as const;
const ids = [[3, 17, 42, 5, 99, 7, 12, 64], [8, 1, 77, 23, 0, 0, 0, 0]];
const mask = [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0]];

const CASES: Array<[string, () => CausalLM.CausalLM]> = [
  ['GPT-2 (tied head)', () => Gpt2.gpt2LMHeadModel(Gpt2.parseConfig({ n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64, vocab_size: 128, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 }))],
  ['GPT-2 (untied head, n_inner)', () => Gpt2.gpt2LMHeadModel(Gpt2.parseConfig({ n_embd: 32, n_layer: 1, n_head: 2, n_inner: 48, n_positions: 64, vocab_size: 128, tie_word_embeddings: false, activation_function: 'gelu' }))],
  ['Llama (GQA, llama3 RoPE, biases)', () => Llama.llamaForCausalLM(Llama.parseConfig({
    hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 128, attention_bias: true, mlp_bias: true,
    rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 }, max_position_embeddings: 64,
  }))],
  ['Llama (linear RoPE, tied, explicit head_dim)', () => Llama.llamaForCausalLM(Llama.parseConfig({
    hidden_size: 32, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 24, vocab_size: 128, tie_word_embeddings: true,
    rope_theta: 10000, rope_scaling: { type: 'linear', factor: 2 },
  }))],
  ['Mistral', () => Llama.llamaForCausalLM(Llama.parseConfig({ model_type: 'mistral', hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 1, vocab_size: 128, sliding_window: null }))],
  ['Qwen2 (q/k/v biases)', () => Llama.llamaForCausalLM(Llama.parseConfig({ model_type: 'qwen2', hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 128, rope_theta: 1e6, tie_word_embeddings: true }))],
  ['Gemma (MQA, head_dim 20)', () => Gemma.gemmaForCausalLM(Gemma.parseConfig({ hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 20, vocab_size: 128 }))],
];

interface Saved {
  model: CausalLM.CausalLM;
  vars: { params: Ptree.Tree; state: Ptree.Tree; dtype: 'float32' };
  tokenizer?: Tokenizer;
}

describe.skipIf(!available)('transformers loads what savePretrained writes', { timeout: 600_000 }, () => {
  const saved = new Map<string, Saved>();
  let answers = new Map<string, Answer>();

  beforeAll(async () => {
    const requests: Array<[string, Record<string, unknown>]> = [];
    for (const [label, make] of CASES) {
      const model = make();
      const init = model.init({ key: nx.random.key(0) });
      const vars = { ...init, params: randomize(init.params, 7), dtype: 'float32' as const };
      Ptree.dispose(init.params);
      const dir = scratch();
      await savePretrained(dir, { model, vars });
      saved.set(label, { model, vars });
      requests.push([label, { dir, input_ids: ids, attention_mask: mask, generate: 6, pad_token_id: 0 }]);
    }
    for (const name of FIXTURES) {
      const ref = causalReference(name);
      const src = await CausalLM.fromPretrained(fixtureDir(name), { logger: false });
      const dir = scratch();
      await savePretrained(dir, { model: src.model, vars: src.vars, tokenizer: src.tokenizer });
      saved.set(name, { model: src.model, vars: src.vars as Saved['vars'], tokenizer: src.tokenizer! });
      requests.push([name, { dir, input_ids: ref.batch.input_ids, attention_mask: ref.batch.attention_mask, prompts: ref.prompts, messages: ref.chat?.messages ?? null }]);
    }
    const got = transformers(requests.map(([, r]) => r));
    answers = new Map(requests.map(([label], i) => [label, got[i]!]));
  });

  afterAll(() => {
    for (const s of saved.values()) Ptree.dispose(s.vars.params);
  });

  it.each(CASES.map(([label]) => label))('%s: same logits and greedy tokens', async (label) => {
    const { model, vars } = saved.get(label)!;
    const answer = answers.get(label)!;
    expect(answer.architecture).toBe(model.hf.architecture);
    const { y } = model.apply(vars, { inputIds: nx.fromArray(ids, { dtype: 'int32' }), attentionMask: nx.fromArray(mask, { dtype: 'int32' }) });
    const mine = nx.toArray(y.logits) as number[][][];
    let diff = 0;
    mine.forEach((row, b) => row.forEach((pos, t) => {
      if (mask[b]![t] === 1) pos.forEach((v, j) => (diff = Math.max(diff, Math.abs(v - answer.logits[b]![t]![j]!))));
    }));
    console.log(`[transformers] ${label}: logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    // greedy continuation of the first row, stopping at the model's EOS as transformers does
    const gen = await CausalLM.generate(model, vars, [ids[0]!], { maxNewTokens: 6 });
    expect(gen.sequences[0]).toEqual(answer.generated![0]);
    nx.dispose(y);
  });

  it.each(FIXTURES)('%s saved with its tokenizer: AutoTokenizer gives our ids and chat text', (name) => {
    const ref = causalReference(name);
    const { tokenizer } = saved.get(name)!;
    const answer = answers.get(name)!;
    expect(answer.ids).toEqual(ref.prompts.map((p) => tokenizer!.encode(p).ids));
    if (ref.chat) expect(answer.chat).toBe(tokenizer!.applyChatTemplate(ref.chat.messages, { addGenerationPrompt: true }));
  });
});
