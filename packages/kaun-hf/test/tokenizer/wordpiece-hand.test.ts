// Token ids for chosen sentences, derived by hand: each case writes the normalised words (lowercase,
// accents stripped, control characters dropped, CJK ideographs and punctuation split off) and their
// WordPiece pieces; the helpers check each split against vocab.txt (greedy longest match) and map
// the pieces to ids through the lines of vocab.txt. Both the tokenizer.json tokenizer and the
// vocab.txt-only one must give exactly these ids.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { Tokenizer } from '@raven/kaun-hf';

import { FIXTURE, expectGreedySplit, expectUnknown, idsOf } from './_vocab.js';

/** A word and its pieces, a word that becomes [UNK] (with the pieces before greedy gets stuck), or a special token kept whole. */
type Word = [string, string[]] | [string, 'UNK', string[]?] | [string, 'SPECIAL'];

function expected(words: Word[]): string[] {
  return words.flatMap((w) => {
    if (w[1] === 'UNK') {
      expectUnknown(w[0], w[2] ?? []);
      return ['[UNK]'];
    }
    if (w[1] === 'SPECIAL') return [w[0]];
    expectGreedySplit(w[0], w[1]);
    return w[1];
  });
}

const xs = (n: number): string => 'x'.repeat(n);

const CASES: { name: string; text: string; words: Word[] }[] = [
  { name: 'accents stripped after lowercasing', text: 'Héllo Café naïve', words: [['hello', ['hello']], ['cafe', ['cafe']], ['naive', ['naive']]] },
  { name: 'upper-case accented letters', text: 'ÉCOLE Ünïcödé', words: [['ecole', ['ecole']], ['unicode', ['unicode']]] },
  {
    name: 'ASCII punctuation split into single characters',
    text: "don't!?",
    words: [['don', ['don']], ["'", ["'"]], ['t', ['t']], ['!', ['!']], ['?', ['?']]],
  },
  {
    name: 'Chinese characters one word each, unknown ones [UNK]',
    text: '我爱北京',
    words: [['我', ['我']], ['爱', 'UNK'], ['北', ['北']], ['京', ['京']]],
  },
  {
    name: 'CJK next to Latin letters',
    text: 'BERT处理中文',
    words: [['bert', ['bert']], ['处', 'UNK'], ['理', 'UNK'], ['中', ['中']], ['文', ['文']]],
  },
  {
    name: 'rare words split into sub-words',
    text: 'unaffable xyzzyq',
    words: [['unaffable', ['una', '##ffa', '##ble']], ['xyzzyq', ['x', '##y', '##zzy', '##q']]],
  },
  {
    name: 'sub-words and Unicode punctuation',
    text: 'Tokenization, résumé (ok)',
    words: [['tokenization', ['token', '##ization']], [',', [',']], ['resume', ['resume']], ['(', ['(']], ['ok', ['ok']], [')', [')']]],
  },
  {
    name: 'emoji are unknown words',
    text: 'I love 🍕 and 😀!',
    words: [['i', ['i']], ['love', ['love']], ['🍕', 'UNK'], ['and', ['and']], ['😀', 'UNK'], ['!', ['!']]],
  },
  { name: 'runs of spaces, tabs and newlines', text: 'hello \t\t world\n\n  again  \r\n', words: [['hello', ['hello']], ['world', ['world']], ['again', ['again']]] },
  {
    name: 'control and format characters removed (NUL, BEL, zero-width space, U+FFFD)',
    text: 'he\u0000llo\u0007 wor\u200Bld\uFFFD',
    words: [['hello', ['hello']], ['world', ['world']]],
  },
  { name: 'special tokens in the text kept whole', text: '[MASK] is here', words: [['[MASK]', 'SPECIAL'], ['is', ['is']], ['here', ['here']]] },
  { name: 'a 100-character word is split', text: xs(100), words: [[xs(100), ['xx', ...new Array<string>(49).fill('##xx')]]] },
  { name: 'a 101-character word is [UNK]', text: xs(101), words: [[xs(101), 'UNK']] },
];

const vocabOnlyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaun-hf-vocab-'));
fs.copyFileSync(path.join(FIXTURE, 'vocab.txt'), path.join(vocabOnlyDir, 'vocab.txt'));
afterAll(() => fs.rmSync(vocabOnlyDir, { recursive: true, force: true }));

const TOKENIZERS: [string, () => Tokenizer][] = [
  ['tokenizer.json', () => Tokenizer.fromFile(path.join(FIXTURE, 'tokenizer.json'))],
  ['vocab.txt only', () => Tokenizer.fromFolder(vocabOnlyDir)],
];

describe.each(TOKENIZERS)('bert-base-uncased from %s', (_, make) => {
  const tok = make();

  test.each(CASES)('$name', ({ text, words }) => {
    const tokens = expected(words);
    const enc = tok.encode(text);
    expect(enc.tokens).toEqual(['[CLS]', ...tokens, '[SEP]']);
    expect(enc.ids).toEqual(idsOf(['[CLS]', ...tokens, '[SEP]']));
    expect(enc.tokenTypeIds).toEqual(new Array(tokens.length + 2).fill(0));
    expect(enc.attentionMask).toEqual(new Array(tokens.length + 2).fill(1));
    expect(tok.tokenize(text)).toEqual(tokens);
  });

  test('a sentence pair: [CLS] A [SEP] B [SEP], token types 0 then 1', () => {
    const a = expected([['the', ['the']], ['quick', ['quick']], ['brown', ['brown']], ['fox', ['fox']], ['.', ['.']]]);
    const b = expected([['is', ['is']], ['it', ['it']], ['lazy', ['lazy']], ['?', ['?']]]);
    const enc = tok.encode('The quick brown fox.', 'Is it lazy?');
    expect(enc.tokens).toEqual(['[CLS]', ...a, '[SEP]', ...b, '[SEP]']);
    expect(enc.ids).toEqual(idsOf(['[CLS]', ...a, '[SEP]', ...b, '[SEP]']));
    expect(enc.tokenTypeIds).toEqual([...new Array(a.length + 2).fill(0), ...new Array(b.length + 1).fill(1)]);
    expect(enc.attentionMask).toEqual(new Array(a.length + b.length + 3).fill(1));
  });

  test('vocabulary and special token ids are the lines of vocab.txt', () => {
    expect(tok.vocabSize).toBe(30522);
    expect([tok.padTokenId, tok.unkTokenId, tok.clsTokenId, tok.sepTokenId, tok.maskTokenId]).toEqual(idsOf(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']));
    for (const t of ['hello', '##ing', '[unused0]', '我', '!']) {
      const [id] = idsOf([t]);
      expect(tok.tokenToId(t)).toBe(id);
      expect(tok.idToToken(id!)).toBe(t);
    }
    expect(tok.tokenToId('not-a-token')).toBeUndefined();
    expect(tok.idToToken(30522)).toBeUndefined();
    expect(tok.idToToken(-1)).toBeUndefined();
  });
});

test('vocab.txt with do_lower_case false keeps case and accents', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaun-hf-cased-'));
  try {
    fs.copyFileSync(path.join(FIXTURE, 'vocab.txt'), path.join(dir, 'vocab.txt'));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
    const tok = Tokenizer.fromFolder(dir);
    expect(tok.source).toBe('vocab.txt');
    expect(tok.doLowerCase).toBe(false);
    // The uncased vocabulary has no "H..." piece, and "café" gets stuck after "caf" at "##é".
    const tokens = expected([['Hello', 'UNK'], ['café', 'UNK', ['caf']], ['hello', ['hello']]]);
    expect(tok.encode('Hello café hello').ids).toEqual(idsOf(['[CLS]', ...tokens, '[SEP]']));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
