// Loading (folder, file, JSON, vocab), saving and reloading, decoding round trips, and the
// errors for missing or malformed files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';

import { KaunHfError, Tokenizer, TokenizerError } from '@raven/kaun-hf';

import { FIXTURE, VOCAB_LINES, idsOf } from './_vocab.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kaun-hf-tok-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TOKENIZERS: [string, Tokenizer][] = [
  ['tokenizer.json', Tokenizer.fromFolder(FIXTURE)],
  ['vocab.txt', Tokenizer.fromVocabFile(path.join(FIXTURE, 'vocab.txt'), JSON.parse(fs.readFileSync(path.join(FIXTURE, 'tokenizer_config.json'), 'utf8')))],
];

// Lowercase words of the vocabulary (some split into sub-words), punctuation glued to the word
// before it, and contractions: text that decodes back exactly after transformers' clean-up.
const WORD = fc.constantFrom('the', 'cat', 'sat', 'unaffable', 'tokenization', 'xyzzyq', 'hello', 'world', 'naive', '42', "don't", "it's", "i'm", "we've", "they're");
const SENTENCE = fc
  .array(fc.tuple(WORD, fc.constantFrom('', '', '', '.', ',', '!', '?')), { minLength: 1, maxLength: 12 })
  .map((ws) => ws.map(([w, p]) => w + p).join(' '));

describe.each(TOKENIZERS)('%s', (source, tok) => {
  test('source, vocabulary size, lowercasing', () => {
    expect(tok.source).toBe(source);
    expect(tok.vocabSize).toBe(VOCAB_LINES.length);
    expect(tok.doLowerCase).toBe(true);
    expect(tok.numSpecialTokens()).toBe(2);
    expect(tok.numSpecialTokens(true)).toBe(3);
  });

  test('decode(encode(text)) gives the text back (lowercase, normal spacing)', () => {
    fc.assert(
      fc.property(SENTENCE, (s) => {
        expect(tok.decode(tok.encode(s).ids, { skipSpecialTokens: true })).toBe(s);
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  test('decode glues ## pieces, keeps or skips special tokens, cleans up spaces on request', () => {
    const ids = idsOf(['[CLS]', 'una', '##ffa', '##ble', ',', 'don', "'", 't', '!', '[SEP]', '[PAD]']);
    expect(tok.decode(ids)).toBe("[CLS] unaffable, don't! [SEP] [PAD]");
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe("unaffable, don't!");
    // Without transformers' clean-up only the decoder's own per-token rule (" ," -> ",") applies.
    expect(tok.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false })).toBe("unaffable, don ' t!");
    expect(tok.decode(Int32Array.from(ids.slice(1, 4)))).toBe('unaffable');
    expect(tok.decode([])).toBe('');
    expect(tok.decode(idsOf(['[CLS]', '[SEP]']), { skipSpecialTokens: true })).toBe('');
  });

  test('decode refuses ids outside the vocabulary', () => {
    expect(() => tok.decode([101, 30522])).toThrow(/id 30522 at position 1 is not in \[0, 30522\)/);
    expect(() => tok.decode([-1])).toThrow(TokenizerError);
    expect(() => tok.decode([1.5])).toThrow(TokenizerError);
  });

  test('save writes Hugging Face files that load back to the same tokenizer', () => {
    const dir = path.join(tmp, `saved-${source}`);
    tok.save(dir);
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(source === 'tokenizer.json' ? ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt'] : ['tokenizer_config.json', 'vocab.txt']);
    expect(fs.readFileSync(path.join(dir, 'vocab.txt'), 'utf8')).toBe(fs.readFileSync(path.join(FIXTURE, 'vocab.txt'), 'utf8'));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({ do_lower_case: true, model_max_length: 512, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' });
    const back = Tokenizer.fromFolder(dir);
    expect(back.source).toBe(source);
    expect(back.modelMaxLength).toBe(512);
    const texts = ['Héllo, wörld! 我爱北京', ['A pair', 'of texts'] as [string, string], 'unaffable xyzzyq [MASK]'];
    expect(back.encodeBatchArrays(texts)).toEqual(tok.encodeBatchArrays(texts));
  });
});

test('fromJSON takes a parsed tokenizer.json and a config', () => {
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'tokenizer.json'), 'utf8'));
  const tok = Tokenizer.fromJSON(json, { model_max_length: 64 });
  expect(tok.modelMaxLength).toBe(64);
  expect(tok.encode('Hello world').ids).toEqual(idsOf(['[CLS]', 'hello', 'world', '[SEP]']));
  // transformers' "no limit" value is treated as no limit.
  expect(Tokenizer.fromJSON(json, { model_max_length: 1e30 }).modelMaxLength).toBeUndefined();
});

test('fromVocab builds a tokenizer from tokens in id order', () => {
  const tok = Tokenizer.fromVocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'un', '##aff', '##able', 'a', '##ff']);
  // un ##aff ##able; a ##ff ##able; "affx" gets stuck after a ##ff.
  expect(tok.encode('unaffable affable affx').ids).toEqual([2, 4, 5, 6, 7, 8, 6, 1, 3]);
  expect(tok.maskTokenId).toBeUndefined();
  expect(tok.vocabSize).toBe(9);
});

describe('errors', () => {
  test('missing files name the path', () => {
    const missing = path.join(tmp, 'nope', 'tokenizer.json');
    expect(() => Tokenizer.fromFile(missing)).toThrow(TokenizerError);
    expect(() => Tokenizer.fromFile(missing)).toThrow(`Tokenizer.fromFile: cannot read ${missing} (no such file)`);
    expect(() => Tokenizer.fromVocabFile(path.join(tmp, 'vocab.txt'))).toThrow(/Tokenizer.fromVocabFile: cannot read .*vocab.txt/);
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    expect(() => Tokenizer.fromFolder(empty)).toThrow(/has neither tokenizer.json nor vocab.txt/);
    expect(() => Tokenizer.fromFolder(path.join(tmp, 'no-such-folder'))).toThrow(TokenizerError);
  });

  test('malformed files and objects', () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"model": ');
    expect(() => Tokenizer.fromFile(bad)).toThrow(/is not valid JSON/);
    fs.writeFileSync(bad, '[1, 2]');
    expect(() => Tokenizer.fromFile(bad)).toThrow(/should hold a JSON object, got an array/);
    expect(() => Tokenizer.fromJSON({})).toThrow(/expected the contents of a tokenizer.json/);
    const json = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'tokenizer.json'), 'utf8'));
    const twice = { type: 'Sequence', processors: [json.post_processor, json.post_processor] };
    expect(() => Tokenizer.fromJSON({ ...json, post_processor: twice })).toThrow(/a post_processor Sequence with more than one step that adds tokens is not supported/);
    expect(() => Tokenizer.fromVocab(['[PAD]', '[UNK]', '[SEP]', 'a'])).toThrow(/the cls token "\[CLS\]" is not in the vocabulary/);
  });

  test('errors are TokenizerError, a KaunHfError', () => {
    try {
      Tokenizer.fromFile(path.join(tmp, 'missing.json'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KaunHfError);
      expect((e as Error).name).toBe('TokenizerError');
      expect((e as Error).cause).toBeDefined();
    }
  });
});
