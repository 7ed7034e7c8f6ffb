// The tokenizers of causal language models (byte-level BPE through tokenizer.json) against
// transformers' references: ids, BOS as the post-processor says, decode with special tokens
// skipped, left padding, chat templates, streaming decode without half characters, save/reload.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { Tokenizer, TokenizerError } from '@raven/kaun-hf';

import { CAUSAL_FIXTURES, causalReference, fixtureDir } from '../helpers/causal-fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kaun-hf-causal-tok-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tokenizers = Object.fromEntries(CAUSAL_FIXTURES.map((n) => [n, Tokenizer.fromFolder(fixtureDir(n))]));

describe.each(CAUSAL_FIXTURES)('%s', (name) => {
  const ref = causalReference(name);
  const tok = tokenizers[name]!;

  test('encodes the prompts to transformers ids (BOS as the post-processor adds it)', () => {
    ref.prompts.forEach((p, i) => expect(tok.encode(p).ids).toEqual(ref.prompt_ids[i]));
  });

  test('decodes the greedy generation as transformers does (special tokens skipped)', () => {
    expect(tok.decode(ref.greedy_single.output_ids[0]!, { skipSpecialTokens: true })).toBe(ref.greedy_single.text);
  });

  test('BOS and EOS ids come from tokenizer_config.json', () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(fixtureDir(name), 'tokenizer_config.json'), 'utf8')) as Record<string, string>;
    expect(tok.bosTokenId).toBe(tok.tokenToId(cfg['bos_token']!));
    expect(tok.eosTokenId).toBe(tok.tokenToId(cfg['eos_token']!));
    expect(tok.clsTokenId).toBeUndefined();
    expect(tok.sepTokenId).toBeUndefined();
  });

  test('streams text that joins to the full decode, holding back incomplete characters', () => {
    const ids = ref.greedy_single.output_ids[0]!;
    const stream = tok.decodeStream({ skipSpecialTokens: true });
    const pieces = ids.map((id) => stream.push(id));
    pieces.push(stream.flush());
    expect(pieces.join('')).toBe(ref.greedy_single.text);
  });

  test('saves and reloads with the same ids, special tokens and chat template', () => {
    const dir = path.join(tmp, name);
    const files = tok.save(dir);
    expect(files).toContain('tokenizer.json');
    expect(files).not.toContain('vocab.txt');
    const back = Tokenizer.fromFolder(dir);
    expect(back.encode(ref.prompts[0]!).ids).toEqual(ref.prompt_ids[0]);
    expect([back.bosTokenId, back.eosTokenId, back.padTokenId]).toEqual([tok.bosTokenId, tok.eosTokenId, tok.padTokenId]);
    expect(back.chatTemplate).toBe(tok.chatTemplate);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    // no BERT names leak into a BPE tokenizer's config
    expect(Object.keys(cfg).filter((k) => /^(cls|sep|mask)_token$/.test(k))).toEqual([]);
  });
});

describe('chat templates', () => {
  test.each(['llama-tiny', 'gemma-tiny'] as const)('%s renders the reference chat text', (name) => {
    const ref = causalReference(name);
    expect(tokenizers[name]!.applyChatTemplate(ref.chat!.messages, { addGenerationPrompt: true })).toBe(ref.chat!.text);
  });

  test('without the generation prompt the assistant header is left out', () => {
    const text = tokenizers['gemma-tiny']!.applyChatTemplate([{ role: 'user', content: 'Hi' }]);
    expect(text).toBe('<bos><start_of_turn>user\nHi<end_of_turn>\n');
  });

  test('a tokenizer without a template says so', () => {
    expect(() => tokenizers['gpt2-tiny']!.applyChatTemplate([{ role: 'user', content: 'Hi' }])).toThrow(/has no chat template/);
  });

  test('chat_template in tokenizer_config.json works too, and a broken template is a TokenizerError', () => {
    const dir = path.join(tmp, 'cfg-template');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(fixtureDir('gpt2-tiny'), 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    const cfg = { eos_token: '<|endoftext|>', chat_template: '{% for m in messages %}{{ m.role }}: {{ m.content }}{{ eos_token }}{% endfor %}' };
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(cfg));
    expect(Tokenizer.fromFolder(dir).applyChatTemplate([{ role: 'user', content: 'Ahoy' }])).toBe('user: Ahoy<|endoftext|>');
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: '{% for m in messages %}' }));
    expect(() => Tokenizer.fromFolder(dir)).toThrow(TokenizerError);
  });
});

describe('padding', () => {
  test('left padding gives the reference batch of batched generation (gemma has a pad token)', () => {
    const ref = causalReference('gemma-tiny');
    const batch = tokenizers['gemma-tiny']!.encodeBatchArrays(ref.prompts, { paddingSide: 'left' });
    expect(batch.inputIds).toEqual(ref.greedy_batch_left_padded.input_ids);
    expect(batch.attentionMask).toEqual(ref.greedy_batch_left_padded.attention_mask);
  });

  test('GPT-2 has no pad token: padding is an error that says what to do, equal lengths need none', () => {
    const tok = tokenizers['gpt2-tiny']!;
    expect(tok.padTokenId).toBeUndefined();
    expect(() => tok.encodeBatchArrays(['a b c', 'a'])).toThrow(/no pad token; set pad_token in tokenizer_config.json/);
    expect(tok.encodeBatchArrays(['a b', 'c d']).inputIds).toHaveLength(2);
  });
});

describe('streaming decode', () => {
  test('byte-level pieces never print half a character', () => {
    const tok = tokenizers['gpt2-tiny']!;
    const text = 'Call me Ishmael — 🐋 café, naïve… 日本語!';
    const ids = tok.encode(text).ids;
    // the check can fail: some tokens on their own decode to an incomplete character
    expect(ids.some((id) => tok.decode([id]).includes('\uFFFD'))).toBe(true);
    const stream = tok.decodeStream();
    const pieces = [...ids.map((id) => stream.push(id)), stream.flush()];
    for (const p of pieces) expect(p).not.toContain('\uFFFD');
    expect(pieces.join('')).toBe(text);
    expect(pieces.filter((p) => p === '').length).toBeGreaterThan(1); // held back while incomplete
  });
});
