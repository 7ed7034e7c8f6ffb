// Batches: padding (longest, max_length, none), masks and token types, pairs mixed with single
// texts, the int32 [B, L] tensors and their memory, and the errors of invalid batches.
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';

import * as nx from '@raven/nx';
import { Tokenizer, TokenizerError } from '@raven/kaun-hf';

import { FIXTURE, idsOf } from './_vocab.js';

const TOKENIZERS: [string, Tokenizer][] = [
  ['tokenizer.json', Tokenizer.fromFolder(FIXTURE)],
  ['vocab.txt', Tokenizer.fromVocabFile(path.join(FIXTURE, 'vocab.txt'))],
];

// Hand-tokenized inputs (each word below is one vocab.txt token).
const INPUTS: (string | [string, string])[] = ['The cat sat.', ['Is it a dog?', 'No!'], 'Hello'];
const TOKENS = [
  ['[CLS]', 'the', 'cat', 'sat', '.', '[SEP]'],
  ['[CLS]', 'is', 'it', 'a', 'dog', '?', '[SEP]', 'no', '!', '[SEP]'],
  ['[CLS]', 'hello', '[SEP]'],
];
const TYPES = [
  [0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0, 0, 0, 1, 1, 1],
  [0, 0, 0],
];

const padTo = <T>(row: T[], n: number, v: T): T[] => [...row, ...new Array<T>(Math.max(0, n - row.length)).fill(v)];

describe.each(TOKENIZERS)('batches (%s)', (_, tok) => {
  test("padding 'longest' (the default): rows padded with [PAD] 0, type 0, mask 0", () => {
    const b = tok.encodeBatchArrays(INPUTS);
    expect(b.tokens).toEqual(TOKENS.map((r) => padTo(r, 10, '[PAD]')));
    expect(b.inputIds).toEqual(TOKENS.map((r) => padTo(idsOf(r), 10, 0)));
    expect(b.tokenTypeIds).toEqual(TYPES.map((r) => padTo(r, 10, 0)));
    expect(b.attentionMask).toEqual(TOKENS.map((r) => padTo(r.map(() => 1), 10, 0)));
  });

  test('no padding keeps each length; encode pads only when asked', () => {
    const b = tok.encodeBatchArrays(INPUTS, { padding: false });
    expect(b.inputIds).toEqual(TOKENS.map(idsOf));
    expect(b.tokenTypeIds).toEqual(TYPES);
    expect(tok.encode('Hello').ids).toEqual(idsOf(TOKENS[2]!));
    const padded = tok.encode('Hello', { maxLength: 5, padding: 'max_length' });
    expect(padded.ids).toEqual(padTo(idsOf(TOKENS[2]!), 5, 0));
    expect(padded.attentionMask).toEqual([1, 1, 1, 0, 0]);
  });

  test("encodeBatch: int32 [B, L] tensors equal to the arrays, 'max_length' with truncation", () => {
    const before = nx.memory().numTensors;
    const b = tok.encodeBatch(INPUTS, { maxLength: 8, padding: 'max_length' });
    expect(nx.memory().numTensors).toBe(before + 3);
    for (const t of [b.inputIds, b.tokenTypeIds, b.attentionMask]) {
      expect(t.dtype).toBe('int32');
      expect(t.shape).toEqual([3, 8]);
    }
    // The pair (5 + 2 words, budget 8 - 3 = 5) loses tokens from its longer first text.
    const pairTokens = ['[CLS]', 'is', 'it', 'a', '[SEP]', 'no', '!', '[SEP]'];
    expect(b.inputIds.arraySync()).toEqual([padTo(idsOf(TOKENS[0]!), 8, 0), idsOf(pairTokens), padTo(idsOf(TOKENS[2]!), 8, 0)]);
    expect(b.tokenTypeIds.arraySync()).toEqual([new Array(8).fill(0), [0, 0, 0, 0, 0, 1, 1, 1], new Array(8).fill(0)]);
    expect(b.attentionMask.arraySync()).toEqual([
      [1, 1, 1, 1, 1, 1, 0, 0],
      new Array(8).fill(1),
      [1, 1, 1, 0, 0, 0, 0, 0],
    ]);
    nx.dispose(b);
    expect(nx.memory().numTensors).toBe(before);
  });

  test('repeated batches keep the live tensor count flat', () => {
    const before = nx.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const b = tok.encodeBatch(INPUTS, { maxLength: 16 });
      nx.dispose(b);
    }
    const kept = nx.scope(() => tok.encodeBatch(INPUTS).inputIds.shape);
    expect(kept).toEqual([3, 10]);
    expect(nx.memory().numTensors).toBe(before);
  });

  test('pairs and single texts mix; an empty batch gives [0, 0] tensors', () => {
    const b = tok.encodeBatch([['a', 'b'], 'c']);
    expect(b.inputIds.arraySync()).toEqual([idsOf(['[CLS]', 'a', '[SEP]', 'b', '[SEP]']), padTo(idsOf(['[CLS]', 'c', '[SEP]']), 5, 0)]);
    expect(b.tokenTypeIds.arraySync()).toEqual([
      [0, 0, 0, 1, 1],
      [0, 0, 0, 0, 0],
    ]);
    nx.dispose(b);
    const e = tok.encodeBatch([]);
    expect(e.inputIds.shape).toEqual([0, 0]);
    nx.dispose(e);
  });

  test('rows of different lengths cannot become tensors', () => {
    expect(() => tok.encodeBatch(INPUTS, { padding: false })).toThrow(/equal lengths/);
    // 'max_length' without truncation leaves the long row longer than maxLength.
    expect(() => tok.encodeBatch(INPUTS, { maxLength: 8, truncation: false, padding: 'max_length' })).toThrow(TokenizerError);
    const before = nx.memory().numTensors;
    expect(() => tok.encodeBatch(INPUTS, { padding: false })).toThrow();
    expect(nx.memory().numTensors).toBe(before);
  });

  test('invalid inputs and options are TokenizerErrors that say what came', () => {
    expect(() => tok.encodeBatch([42 as unknown as string])).toThrow(/input 0 must be a string or a pair/);
    expect(() => tok.encodeBatch(['ok', ['a', 'b', 'c'] as unknown as [string, string]])).toThrow(/input 1 must be a string or a pair/);
    expect(() => tok.encodeBatch('not an array' as unknown as string[])).toThrow(/expected an array/);
    expect(() => tok.encodeBatch(['a'], { padding: 'longer' as never })).toThrow(/padding must be/);
    expect(() => tok.tokenize(7 as unknown as string)).toThrow(TokenizerError);
  });
});
