// Generation: the key/value cache gives the logits of the full forward pass; seeded sampling is
// reproducible; the logits processors against hand-computed values; stops at EOS, stop strings
// and maxNewTokens; streaming per token and as text; no tensor left behind over 1,000 tokens.
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { CausalLM, Gpt2, type Tokenizer } from '@raven/kaun-hf';
import { fixtureDir, maxDiff } from '../../helpers/causal-fixtures.js';

const int32 = (rows: number[][]): nx.Tensor => nx.fromArray(rows, { dtype: 'int32' });

async function load(name: 'gpt2-tiny' | 'llama-tiny' | 'gemma-tiny'): Promise<CausalLM.Pretrained & { tokenizer: Tokenizer }> {
  const p = await CausalLM.fromPretrained(fixtureDir(name), { logger: false });
  return p as CausalLM.Pretrained & { tokenizer: Tokenizer };
}

describe('the key/value cache', () => {
  it.each(['gpt2-tiny', 'llama-tiny', 'gemma-tiny'] as const)('%s: decoding token by token with the cache gives the full pass\'s logits (left-padded batch)', async (name) => {
    const { model, vars } = await load(name);
    const ids = [[5, 9, 14, 3, 7, 11], [0, 0, 21, 8, 2, 30]];
    const mask = [[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]];
    const positions = [[0, 1, 2, 3, 4, 5], [0, 0, 0, 1, 2, 3]];
    const full = model.apply(vars, { inputIds: int32(ids), attentionMask: int32(mask), positionIds: int32(positions) }).y.logits;
    // prompt of 3, then one token at a time
    let out = model.apply(vars, { inputIds: int32(ids.map((r) => r.slice(0, 3))), attentionMask: int32(mask.map((r) => r.slice(0, 3))), positionIds: int32(positions.map((r) => r.slice(0, 3))), useCache: true }).y;
    const steps = [out.logits];
    for (let t = 3; t < 6; t++) {
      const next = model.apply(vars, {
        inputIds: int32(ids.map((r) => [r[t]!])), attentionMask: int32(mask.map((r) => r.slice(0, t + 1))), positionIds: int32(positions.map((r) => [r[t]!])),
        cache: out.cache, useCache: true,
      }).y;
      nx.dispose(out.cache);
      out = next;
      steps.push(out.logits);
    }
    nx.dispose(out.cache);
    const cached = nx.concatenate(steps, 1);
    // rows' real positions only (padded query rows attend to nothing real)
    const real = (t: nx.Tensor) => nx.slice(t, [null, [2, null]]);
    expect(await maxDiff(real(cached), real(full))).toBeLessThan(1e-4);
    expect(full.shape).toEqual(cached.shape);
  });
});

describe('sampling', () => {
  it('the same key gives the same text, another key another text; topK 1 is greedy', async () => {
    const { model, vars, tokenizer } = await load('gpt2-tiny');
    const opts = { tokenizer, maxNewTokens: 10, doSample: true, temperature: 1.5, topK: 0 };
    const a = await CausalLM.generate(model, vars, 'The whale', { ...opts, key: nx.random.key(1) });
    const b = await CausalLM.generate(model, vars, 'The whale', { ...opts, key: nx.random.key(1) });
    const c = await CausalLM.generate(model, vars, 'The whale', { ...opts, key: nx.random.key(2) });
    expect(a.newTokens).toEqual(b.newTokens);
    expect(a.newTokens).not.toEqual(c.newTokens);
    const greedy = await CausalLM.generate(model, vars, 'The whale', { tokenizer, maxNewTokens: 10 });
    const top1 = await CausalLM.generate(model, vars, 'The whale', { tokenizer, maxNewTokens: 10, doSample: true, topK: 1, key: nx.random.key(3) });
    expect(top1.newTokens).toEqual(greedy.newTokens);
    const tinyP = await CausalLM.generate(model, vars, 'The whale', { tokenizer, maxNewTokens: 10, doSample: true, topP: 1e-6, key: nx.random.key(4) });
    expect(tinyP.newTokens).toEqual(greedy.newTokens);
  });

  it('the processors match transformers\' definitions on hand-computed scores', async () => {
    // a 5-token vocabulary with known logits: the sampled token's frequency follows the processed softmax
    const model = Gpt2.gpt2LMHeadModel(Gpt2.parseConfig({ n_embd: 8, n_layer: 1, n_head: 2, n_positions: 64, vocab_size: 5, bos_token_id: 0, eos_token_id: 4 }));
    const vars = model.init({ key: nx.random.key(0) });
    const scores = nx.toTypedArray(model.apply(vars, { inputIds: int32([[1, 2]]), logitsToKeep: 1 }).y.logits) as Float32Array;
    const counts = [0, 0, 0, 0, 0];
    const n = 400;
    for (let s = 0; s < n; s++) {
      const out = await CausalLM.generate(model, vars, [[1, 2]], { maxNewTokens: 1, doSample: true, temperature: 0.7, topK: 3, key: nx.random.key(100 + s), eosTokenIds: [] });
      counts[out.newTokens[0]![0]!]! += 1;
    }
    // transformers: scores / 0.7, keep the top 3, softmax
    const scaled = Array.from(scores, (x) => x / 0.7);
    const third = [...scaled].sort((x, y) => y - x)[2]!;
    const kept = scaled.map((x) => (x >= third ? Math.exp(x) : 0));
    const z = kept.reduce((x, y) => x + y, 0);
    for (let i = 0; i < 5; i++) {
      const p = kept[i]! / z;
      if (p === 0) expect(counts[i]).toBe(0);
      else expect(Math.abs(counts[i]! / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 0.01);
    }
    nx.dispose(vars.params);
  });

  it('the repetition penalty changes greedy choices as transformers\' rule says', async () => {
    const { model, vars, tokenizer } = await load('gpt2-tiny');
    const plain = await CausalLM.generate(model, vars, 'The whale', { tokenizer, maxNewTokens: 8 });
    // the fixture's greedy text repeats itself; a strong penalty must break the repetition
    expect(new Set(plain.newTokens[0]).size).toBeLessThan(8);
    const penalised = await CausalLM.generate(model, vars, 'The whale', { tokenizer, maxNewTokens: 8, repetitionPenalty: 100 });
    expect(new Set(penalised.newTokens[0]).size).toBe(8);
  });
});

describe('stopping', () => {
  it('stops a row at an EOS id (later rows padded), at a stop string, and at maxNewTokens', async () => {
    const { model, vars, tokenizer } = await load('gpt2-tiny');
    const free = await CausalLM.generate(model, vars, ['Call me Ishmael. Some years ago', 'The whale'], { tokenizer, maxNewTokens: 6 });
    expect(free.finishReasons).toEqual(['length', 'length']);
    const eos = free.newTokens[0]![1]!; // row 0's second token becomes "EOS"
    const stopped = await CausalLM.generate(model, vars, ['Call me Ishmael. Some years ago', 'The whale'], { tokenizer, maxNewTokens: 6, eosTokenIds: [eos], padTokenId: 50256 });
    expect(stopped.newTokens[0]).toEqual(free.newTokens[0]!.slice(0, 2));
    expect(stopped.finishReasons[0]).toBe('eos');
    // row 0 is padded after its EOS while row 1 goes on
    const promptLength = Math.max(...['Call me Ishmael. Some years ago', 'The whale'].map((p) => tokenizer.encode(p).ids.length));
    expect(stopped.sequences[0]!.slice(promptLength + 2)).toEqual(new Array(stopped.sequences[0]!.length - promptLength - 2).fill(50256));
    expect(stopped.sequences[1]!.length).toBe(stopped.sequences[0]!.length);
    // a stop string: the text up to and including it
    const text = free.texts![1]!;
    const stop = text.slice(3, 6);
    const s = await CausalLM.generate(model, vars, 'The whale', { tokenizer, maxNewTokens: 6, stopStrings: [stop] });
    expect(s.finishReasons).toEqual(['stop']);
    expect(s.texts![0]).toContain(stop);
    expect(text.startsWith(s.texts![0]!)).toBe(true);
    expect(s.newTokens[0]!.length).toBeLessThan(6);
  });

  it('refuses a generation longer than GPT-2\'s positions, bad options, and text without a tokenizer', async () => {
    const { model, vars, tokenizer } = await load('gpt2-tiny');
    await expect(CausalLM.generate(model, vars, 'The whale', { tokenizer, maxNewTokens: 200 })).rejects.toThrow(/exceeds the 128 positions the model has/);
    await expect(CausalLM.generate(model, vars, 'The whale', { tokenizer, topP: 0 })).rejects.toThrow(/topP must be in \(0, 1\]/);
    await expect(CausalLM.generate(model, vars, 'The whale', {})).rejects.toThrow(/text prompts need options.tokenizer/);
    await expect(CausalLM.generate(model, vars, 'The whale', { tokenizer, maxNewToken: 3 } as never)).rejects.toThrow(/maxNewToken/);
  });
});

describe('streaming', () => {
  it('onToken sees every step; textStreamer writes the text as it comes, equal to the result', async () => {
    const { model, vars, tokenizer } = await load('llama-tiny');
    const steps: number[][] = [];
    const pieces: string[] = [];
    const out = await CausalLM.generate(model, vars, 'Call me Ishmael.', {
      tokenizer, maxNewTokens: 15, onToken: (t) => steps.push([...t]), streamer: CausalLM.textStreamer(tokenizer, { write: (s) => pieces.push(s) }),
    });
    expect(steps.map((t) => t[0])).toEqual(out.newTokens[0]);
    expect(pieces.join('')).toBe(out.texts![0]);
    // no piece is half a character, except what the tokens themselves leave broken at the very end
    for (const p of pieces.slice(0, -1)) expect(p.endsWith('\uFFFD')).toBe(false);
  });
});

describe('memory', () => {
  it('leaves no tensor behind: the live count is flat across a 1,000-token generation', async () => {
    const { model, vars, tokenizer } = await load('llama-tiny');
    const before = nx.memory().numTensors;
    const counts: number[] = [];
    const out = await CausalLM.generate(model, vars, 'The whale', { tokenizer, maxNewTokens: 1000, eosTokenIds: [], onToken: () => counts.push(nx.memory().numTensors) });
    expect(out.newTokens[0]).toHaveLength(1000);
    expect(new Set(counts).size).toBe(1); // the cache is replaced each step, never accumulated
    expect(nx.memory().numTensors).toBe(before);
    nx.dispose(vars.params);
  });
});
