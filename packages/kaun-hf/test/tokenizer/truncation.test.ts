// Truncation against transformers' rule written out here: for a pair, 'longest_first' removes the
// last token of the longer text one at a time (the second text on ties) until the pair plus its
// special tokens fits maxLength; 'only_first'/'only_second' cut one text and refuse when that text
// would have to vanish. Also: long texts, which the tokenizer tokenizes only as far as truncation
// can keep, give the same result as tokenizing everything and then cutting.
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { Tokenizer, TokenizerError } from '@raven/kaun-hf';

import { FIXTURE, idsOf } from './_vocab.js';

// Words that are one token each in bert-base-uncased (idsOf fails the test otherwise).
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'dog', 'ran', 'far', 'and', 'then', 'sun', 'set'];
idsOf(WORDS);
const textOf = (n: number, offset: number): string[] => Array.from({ length: n }, (_, i) => WORDS[(i + offset) % WORDS.length]!);

/** transformers' truncate_sequences, 'longest_first', written as the loop it is. */
function longestFirst(n1: number, n2: number, budget: number): [number, number] {
  let [a, b] = [n1, n2];
  while (a + b > budget) {
    if (a > b) a--;
    else b--;
  }
  return [a, b];
}

const TOKENIZERS: [string, Tokenizer][] = [
  ['tokenizer.json', Tokenizer.fromFolder(FIXTURE)],
  ['vocab.txt', Tokenizer.fromVocabFile(path.join(FIXTURE, 'vocab.txt'))],
];

describe.each(TOKENIZERS)('truncation (%s)', (_, tok) => {
  test("pairs under 'longest_first' follow the one-token-at-a-time rule", () => {
    fc.assert(
      fc.property(fc.nat(20), fc.nat(20), fc.integer({ min: 3, max: 45 }), (n1, n2, maxLength) => {
        const [wa, wb] = [textOf(n1, 0), textOf(n2, 5)];
        const [a, b] = longestFirst(n1, n2, maxLength - 3);
        const enc = tok.encode(wa.join(' '), wb.join(' '), { maxLength });
        expect(enc.tokens).toEqual(['[CLS]', ...wa.slice(0, a), '[SEP]', ...wb.slice(0, b), '[SEP]']);
        expect(enc.tokenTypeIds).toEqual([...new Array(a + 2).fill(0), ...new Array(b + 1).fill(1)]);
        expect(enc.ids.length).toBe(Math.min(maxLength, n1 + n2 + 3));
      }),
      { numRuns: 300, seed: 1 },
    );
  });

  test("'only_first' and 'only_second' cut one text, or refuse", () => {
    fc.assert(
      fc.property(fc.nat(15), fc.nat(15), fc.integer({ min: 3, max: 30 }), fc.boolean(), (n1, n2, maxLength, first) => {
        const [wa, wb] = [textOf(n1, 0), textOf(n2, 3)];
        const remove = Math.max(0, n1 + n2 + 3 - maxLength);
        const run = () => tok.encode(wa.join(' '), wb.join(' '), { maxLength, truncation: first ? 'only_first' : 'only_second' });
        const cutLen = first ? n1 : n2;
        if (remove > 0 && cutLen <= remove) {
          expect(run).toThrow(TokenizerError);
          expect(run).toThrow(/must remove/);
          return;
        }
        const [a, b] = first ? [n1 - remove, n2] : [n1, n2 - remove];
        expect(run().tokens).toEqual(['[CLS]', ...wa.slice(0, a), '[SEP]', ...wb.slice(0, b), '[SEP]']);
      }),
      { numRuns: 300, seed: 2 },
    );
  });

  test('single texts keep their first maxLength - 2 tokens; only_second refuses them', () => {
    const words = textOf(30, 0);
    expect(tok.encode(words.join(' '), { maxLength: 10 }).tokens).toEqual(['[CLS]', ...words.slice(0, 8), '[SEP]']);
    expect(tok.encode(words.join(' '), { maxLength: 10, truncation: 'only_first' }).tokens).toEqual(['[CLS]', ...words.slice(0, 8), '[SEP]']);
    expect(tok.encode(words.join(' '), { maxLength: 2 }).tokens).toEqual(['[CLS]', '[SEP]']);
    expect(() => tok.encode(words.join(' '), { maxLength: 10, truncation: 'only_second' })).toThrow(/needs pairs/);
    // Without special tokens the whole budget goes to the text.
    expect(tok.encode(words.join(' '), { maxLength: 10, addSpecialTokens: false }).tokens).toEqual(words.slice(0, 10));
    // A text that fits is left alone, whatever the strategy.
    expect(tok.encode('the cat', { maxLength: 10, truncation: 'only_second' }).tokens).toEqual(['[CLS]', 'the', 'cat', '[SEP]']);
  });

  test('truncation without maxLength uses model_max_length, or asks for maxLength', () => {
    const long = textOf(600, 0).join(' ');
    if (tok.source === 'tokenizer.json') {
      expect(tok.modelMaxLength).toBe(512);
      expect(tok.encode(long, { truncation: true }).ids.length).toBe(512);
      expect(tok.encodeBatchArrays(['the cat'], { padding: 'max_length' }).inputIds[0]!.length).toBe(512);
    }
    const bare = Tokenizer.fromFile(path.join(FIXTURE, 'tokenizer.json'));
    expect(bare.modelMaxLength).toBeUndefined();
    expect(() => bare.encode(long, { truncation: true })).toThrow(/needs maxLength/);
    expect(bare.encode(long).ids.length).toBe(602);
  });

  test('maxLength too small for the special tokens, or not a positive integer, is an error', () => {
    expect(() => tok.encode('the cat', 'sat on', { maxLength: 2 })).toThrow(/cannot hold the 3 special tokens/);
    for (const bad of [0, -1, 2.5, Number.NaN, '8' as unknown as number]) {
      expect(() => tok.encode('the cat', { maxLength: bad })).toThrow(/maxLength must be a positive integer/);
    }
    expect(() => tok.encode('the cat', { maxLength: 8, truncation: 'sideways' as never })).toThrow(TokenizerError);
  });

  test('long texts: truncating is the same as tokenizing everything and cutting', () => {
    // Pieces chosen to sit next to the cut points: words, punctuation, accents and combining marks
    // after spaces, CJK, special tokens, tabs and newlines, long runs without spaces; long runs of
    // whitespace and control characters (no tokens) make the tokenizer read several chunks.
    const blank = fc.constantFrom(' '.repeat(40), '\n'.repeat(25), '\t \u0000'.repeat(30));
    const word = fc.constantFrom('the', 'cat', 'Café', ' ', ' ', '\n', '\t', '\u0301', 'é', '我', '[SEP]', '.', '!!', 'unaffable', 'x'.repeat(41), 'ΣΑΣ', '😀');
    const piece = fc.oneof({ arbitrary: word, weight: 3 }, { arbitrary: blank, weight: 1 });
    const longText = fc.array(piece, { minLength: 200, maxLength: 1500 }).map((a) => a.join(''));
    fc.assert(
      fc.property(longText, longText, fc.integer({ min: 3, max: 200 }), (x, y, maxLength) => {
        const full = tok.tokenize(x);
        expect(tok.encode(x, { maxLength }).tokens).toEqual(['[CLS]', ...full.slice(0, maxLength - 2), '[SEP]']);
        const fullY = tok.tokenize(y);
        const [a, b] = longestFirst(full.length, fullY.length, maxLength - 3);
        expect(tok.encode(x, y, { maxLength }).tokens).toEqual(['[CLS]', ...full.slice(0, a), '[SEP]', ...fullY.slice(0, b), '[SEP]']);
      }),
      { numRuns: 30, seed: 3 },
    );
  });
});
