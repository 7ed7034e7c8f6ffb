/**
 * The BERT tokenizer: `tokenizer.json` (through `@huggingface/tokenizers`) or `vocab.txt` (our
 * own BERT basic tokenizer and WordPiece), one API: encode texts and pairs, batches with
 * truncation and padding as `int32` tensors, decode.
 * @module
 */
import * as nx from '@raven/nx';
import * as path from 'node:path';

import { TokenizerError } from '../errors.js';
import type { TokenizerBackend } from './backend.js';
import { encodeArrays, toTensors, type EncodeContext } from './encode.js';
import { isFile, readJsonObject, readText, writeFiles } from './files.js';
import { JsonBackend } from './json-backend.js';
import { bertTemplate, numSpecialTokens, templateFromJSON, type Template } from './template.js';
import { DECODE_KEYS, type BatchEncoding, type BatchEncodingArrays, type DecodeOptions, type EncodeOptions, type Encoding, type TextInput, type TokenizerConfig } from './types.js';
import { VocabBackend, parseVocab } from './vocab-backend.js';

const DEFAULTS = { unk: '[UNK]', sep: '[SEP]', pad: '[PAD]', cls: '[CLS]', mask: '[MASK]' } as const;
type Role = keyof typeof DEFAULTS;

function tokenName(config: TokenizerConfig, role: Role): string {
  const v = config[`${role}_token`];
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return DEFAULTS[role];
}

function modelMaxLengthOf(config: TokenizerConfig, json: Record<string, unknown> | null): number | undefined {
  const m = config.model_max_length;
  // transformers writes int(1e30) when a model has no limit.
  if (typeof m === 'number' && Number.isInteger(m) && m > 0 && m <= 1e9) return m;
  const t = json?.truncation as { max_length?: unknown } | null | undefined;
  if (t && typeof t.max_length === 'number' && Number.isInteger(t.max_length) && t.max_length > 0) return t.max_length;
  return undefined;
}

/** How a tokenizer was loaded, kept to write it back. */
interface Source {
  json: Record<string, unknown> | null;
  vocab: readonly string[] | null;
}

/**
 * A BERT (WordPiece) tokenizer. Load one with {@link Tokenizer.fromFolder} (a model folder),
 * {@link Tokenizer.fromFile} / {@link Tokenizer.fromJSON} (`tokenizer.json`) or
 * {@link Tokenizer.fromVocabFile} / {@link Tokenizer.fromVocab} (`vocab.txt`); both kinds give the
 * ids of Hugging Face's tokenizers. Encoding adds `[CLS] ... [SEP]` (pairs `[CLS] A [SEP] B [SEP]`
 * with token type ids 0 then 1); truncation and padding follow transformers.
 *
 * @example
 * ```ts
 * const tok = Tokenizer.fromFolder('fixtures/bert-tiny');
 * tok.encode('Hello, world!').tokens; // ['[CLS]', 'hello', ',', 'world', '!', '[SEP]']
 * const batch = tok.encodeBatch(['a short one', 'and a longer second text'], { maxLength: 128 });
 * batch.inputIds.shape; // [2, 7], int32; also batch.tokenTypeIds, batch.attentionMask
 * nx.dispose(batch);
 * ```
 */
export class Tokenizer {
  readonly #backend: TokenizerBackend;
  readonly #template: Template;
  readonly #config: TokenizerConfig;
  readonly #source: Source;
  readonly #ctx: EncodeContext;

  /** Which file the tokenizer was built from: `'tokenizer.json'` or `'vocab.txt'`. */
  readonly source: 'tokenizer.json' | 'vocab.txt';
  /** The longest input the model takes (`model_max_length`), used when truncation has no `maxLength`; `undefined` when unknown. */
  readonly modelMaxLength: number | undefined;
  /** Id of the padding token (`[PAD]`, 0 for BERT). */
  readonly padTokenId: number;
  /** Id of the classification token (`[CLS]`, 101 for bert-base-uncased). */
  readonly clsTokenId: number;
  /** Id of the separator token (`[SEP]`, 102 for bert-base-uncased). */
  readonly sepTokenId: number;
  /** Id of the unknown token (`[UNK]`, 100 for bert-base-uncased). */
  readonly unkTokenId: number;
  /** Id of the mask token (`[MASK]`, 103 for bert-base-uncased); `undefined` if the vocabulary has none. */
  readonly maskTokenId: number | undefined;

  private constructor(backend: TokenizerBackend, template: Template, config: TokenizerConfig, source: Source) {
    this.#backend = backend;
    this.#template = template;
    this.#config = config;
    this.#source = source;
    this.source = backend.source;
    this.modelMaxLength = modelMaxLengthOf(config, source.json);
    const id = (role: Role): number => {
      const name = tokenName(config, role);
      const i = backend.tokenToId(name);
      if (i === undefined) throw new TokenizerError(`Tokenizer: the ${role} token ${JSON.stringify(name)} is not in the vocabulary; set ${role}_token in tokenizer_config.json`);
      return i;
    };
    this.padTokenId = id('pad');
    this.clsTokenId = id('cls');
    this.sepTokenId = id('sep');
    this.unkTokenId = id('unk');
    this.maskTokenId = backend.tokenToId(tokenName(config, 'mask'));
    this.#ctx = { backend, template, padTokenId: this.padTokenId, padToken: tokenName(config, 'pad'), modelMaxLength: this.modelMaxLength };
  }

  /**
   * Builds a tokenizer from a parsed `tokenizer.json`, run by `@huggingface/tokenizers`.
   * @param json The parsed `tokenizer.json` (normalizer, pre_tokenizer, model, post_processor, ...).
   * @param config Parsed `tokenizer_config.json` settings (special token names, `model_max_length`,
   *   `clean_up_tokenization_spaces`). Default `{}`.
   * @throws TokenizerError when the object is not a tokenizer, its post-processor is unsupported, or
   *   the `[PAD]`/`[CLS]`/`[SEP]`/`[UNK]` tokens are missing from its vocabulary.
   */
  static fromJSON(json: object, config: TokenizerConfig = {}): Tokenizer {
    const j = json as Record<string, unknown>;
    if (typeof j !== 'object' || j === null || typeof j.model !== 'object' || j.model === null) {
      throw new TokenizerError(`Tokenizer.fromJSON: expected the contents of a tokenizer.json (an object with a "model" section), got ${JSON.stringify(json)?.slice(0, 80)}`);
    }
    const unk = (j.model as { unk_token?: unknown }).unk_token;
    const cfg = typeof unk === 'string' && config.unk_token === undefined ? { ...config, unk_token: unk } : config;
    return new Tokenizer(new JsonBackend(j, cfg), templateFromJSON(j.post_processor), cfg, { json: j, vocab: null });
  }

  /**
   * Loads a `tokenizer.json` file (synchronously).
   * @param file Path to `tokenizer.json`.
   * @param options.config `tokenizer_config.json` settings; the file beside `file` is not read. Default `{}`.
   * @throws TokenizerError when the file is missing or not valid JSON, and as {@link Tokenizer.fromJSON}.
   */
  static fromFile(file: string, options: { config?: TokenizerConfig } = {}): Tokenizer {
    nx.checkOptions('Tokenizer.fromFile', options, ['config']);
    return Tokenizer.fromJSON(readJsonObject(file, 'Tokenizer.fromFile'), options.config ?? {});
  }

  /**
   * Builds a BERT tokenizer from a WordPiece vocabulary (the lines of `vocab.txt`: the id of a
   * token is its line number from 0), with BERT's basic tokenizer written here.
   * @param vocab Tokens in id order.
   * @param config `do_lower_case` (default `true`), `strip_accents` (default `null`: follow
   *   `do_lower_case`), `tokenize_chinese_chars` (default `true`), special token names (defaults
   *   `[UNK]`, `[SEP]`, `[PAD]`, `[CLS]`, `[MASK]`), `model_max_length`.
   * @throws TokenizerError when the vocabulary lacks `[PAD]`, `[CLS]`, `[SEP]` or `[UNK]`.
   */
  static fromVocab(vocab: readonly string[], config: TokenizerConfig = {}): Tokenizer {
    const names = (Object.keys(DEFAULTS) as Role[]).map((r) => tokenName(config, r));
    const extra = Array.isArray(config.additional_special_tokens) ? config.additional_special_tokens.filter((t): t is string => typeof t === 'string') : [];
    const decoderTokens =
      typeof config.added_tokens_decoder === 'object' && config.added_tokens_decoder !== null
        ? Object.values(config.added_tokens_decoder as Record<string, { content?: unknown }>).map((t) => t?.content).filter((t): t is string => typeof t === 'string')
        : [];
    const lower = config.do_lower_case ?? true;
    const backend = new VocabBackend(vocab, {
      normalizer: {
        cleanText: true,
        handleChineseChars: config.tokenize_chinese_chars ?? true,
        stripAccents: typeof config.strip_accents === 'boolean' ? config.strip_accents : null,
        lowercase: lower,
      },
      unkToken: tokenName(config, 'unk'),
      specialTokens: [...new Set([...names, ...extra, ...decoderTokens])],
    });
    const need = (role: Role): [string, number] => {
      const name = tokenName(config, role);
      const i = backend.tokenToId(name);
      if (i === undefined) throw new TokenizerError(`Tokenizer.fromVocab: the ${role} token ${JSON.stringify(name)} is not in the vocabulary; set ${role}_token in tokenizer_config.json`);
      return [name, i];
    };
    return new Tokenizer(backend, bertTemplate(need('cls'), need('sep')), { ...config, do_lower_case: lower }, { json: null, vocab });
  }

  /**
   * Loads a BERT `vocab.txt` (synchronously); see {@link Tokenizer.fromVocab}.
   * @throws TokenizerError when the file is missing, and as {@link Tokenizer.fromVocab}.
   */
  static fromVocabFile(file: string, config: TokenizerConfig = {}): Tokenizer {
    return Tokenizer.fromVocab(parseVocab(readText(file, 'Tokenizer.fromVocabFile')), config);
  }

  /**
   * Loads the tokenizer of a model folder (synchronously): `tokenizer.json` when present, else
   * `vocab.txt`; `tokenizer_config.json` (optional) supplies `do_lower_case`, `model_max_length`
   * and special token names.
   * @throws TokenizerError when the folder has neither `tokenizer.json` nor `vocab.txt`, or a file is malformed.
   */
  static fromFolder(dir: string): Tokenizer {
    const where = 'Tokenizer.fromFolder';
    const cfgFile = path.join(dir, 'tokenizer_config.json');
    const config: TokenizerConfig = isFile(cfgFile) ? readJsonObject(cfgFile, where) : {};
    const jsonFile = path.join(dir, 'tokenizer.json');
    if (isFile(jsonFile)) return Tokenizer.fromJSON(readJsonObject(jsonFile, where), config);
    const vocabFile = path.join(dir, 'vocab.txt');
    if (isFile(vocabFile)) return Tokenizer.fromVocab(parseVocab(readText(vocabFile, where)), config);
    throw new TokenizerError(`${where}: ${dir} has neither tokenizer.json nor vocab.txt; pass the folder of a BERT model (or download those files first)`);
  }

  /** Number of ids (added tokens included): 30522 for bert-base-uncased. */
  get vocabSize(): number {
    return this.#backend.vocabSize;
  }

  /** Whether the tokenizer lowercases (and strips accents), as `do_lower_case`; `undefined` when unknown (a `tokenizer.json` without a BERT normalizer). */
  get doLowerCase(): boolean | undefined {
    if (this.source === 'vocab.txt') return this.#config.do_lower_case !== false;
    const n = this.#source.json?.normalizer as { type?: unknown; lowercase?: unknown } | null | undefined;
    return n?.type === 'BertNormalizer' ? n.lowercase !== false : undefined;
  }

  /** The id of `token`, `undefined` when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.#backend.tokenToId(token);
  }

  /** The token of `id`, `undefined` when `id` is out of range. */
  idToToken(id: number): string | undefined {
    return this.#backend.idToToken(id);
  }

  /** The special tokens `encode` adds to one text (`isPair` false: 2 for BERT) or to a pair (3). */
  numSpecialTokens(isPair = false): number {
    return numSpecialTokens(this.#template, isPair);
  }

  /**
   * Splits a text into tokens without special tokens (`'unaffable'` -> `['una', '##ffa', '##ble']`).
   */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') throw new TokenizerError(`Tokenizer.tokenize: expected a string, got ${typeof text}`);
    return this.#backend.tokenize(text).tokens;
  }

  /**
   * Encodes one text, or a pair of texts, with special tokens.
   * @param text The (first) text.
   * @param pair The second text of a pair; its tokens get token type 1.
   * @param options See {@link EncodeOptions}; `padding` defaults to `false` here.
   * @returns Ids, token type ids, attention mask and tokens, all the same length.
   * @throws TokenizerError for invalid options, or an impossible `only_*` truncation.
   */
  encode(text: string, pair?: string | null, options?: EncodeOptions): Encoding;
  encode(text: string, options: EncodeOptions): Encoding;
  encode(text: string, pairOrOptions?: string | null | EncodeOptions, options: EncodeOptions = {}): Encoding {
    const pair = typeof pairOrOptions === 'string' ? pairOrOptions : null;
    if (typeof pairOrOptions === 'object' && pairOrOptions !== null) options = pairOrOptions;
    const input: TextInput = pair === null ? text : [text, pair];
    const r = encodeArrays(this.#ctx, [input], options, false, 'Tokenizer.encode');
    return { ids: r.inputIds[0]!, tokenTypeIds: r.tokenTypeIds[0]!, attentionMask: r.attentionMask[0]!, tokens: r.tokens[0]! };
  }

  /**
   * Encodes a batch of texts or pairs to plain arrays, one row per input.
   * @param inputs Texts, or pairs `[first, second]` (may be mixed).
   * @param options See {@link EncodeOptions}; `padding` defaults to `'longest'`.
   * @returns Rows of ids, token type ids, attention masks and tokens (equal lengths when padded).
   * @throws TokenizerError for invalid inputs or options, or an impossible `only_*` truncation.
   */
  encodeBatchArrays(inputs: readonly TextInput[], options: EncodeOptions = {}): BatchEncodingArrays {
    return encodeArrays(this.#ctx, inputs, options, 'longest', 'Tokenizer.encodeBatchArrays');
  }

  /**
   * Encodes a batch of texts or pairs to `int32 [B, L]` tensors: the inputs of a BERT model. The
   * caller owns the tensors (free them with `nx.dispose` or inside `nx.scope`).
   * @param inputs Texts, or pairs `[first, second]` (may be mixed).
   * @param options See {@link EncodeOptions}; `padding` defaults to `'longest'`.
   * @returns `inputIds`, `tokenTypeIds`, `attentionMask`, each `int32 [B, L]`.
   * @throws TokenizerError for invalid inputs or options, an impossible `only_*` truncation, or rows
   *   of different lengths (`padding: false`, or `'max_length'` without truncation).
   * @example
   * ```ts
   * const { inputIds, attentionMask } = tok.encodeBatch([['Is it spam?', body]], { maxLength: 128, padding: 'max_length' });
   * ```
   */
  encodeBatch(inputs: readonly TextInput[], options: EncodeOptions = {}): BatchEncoding {
    return toTensors(encodeArrays(this.#ctx, inputs, options, 'longest', 'Tokenizer.encodeBatch'), 'Tokenizer.encodeBatch');
  }

  /**
   * Turns ids back into text: WordPiece pieces (`##...`) are glued to the previous token, other
   * tokens are joined by spaces. Lowercasing and accent stripping are not undone.
   * @param ids Token ids (an array or an `Int32Array`).
   * @param options See {@link DecodeOptions}.
   * @throws TokenizerError when an id is not an integer in `[0, vocabSize)`.
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    nx.checkOptions('Tokenizer.decode', options, DECODE_KEYS);
    const list = Array.from(ids);
    const bad = list.findIndex((id) => this.#backend.idToToken(id) === undefined);
    if (bad >= 0) throw new TokenizerError(`Tokenizer.decode: id ${list[bad]} at position ${bad} is not in [0, ${this.vocabSize})`);
    const cleanUp = options.cleanUpTokenizationSpaces ?? this.#config.clean_up_tokenization_spaces !== false;
    return this.#backend.decode(list, options.skipSpecialTokens ?? false, cleanUp);
  }

  /**
   * Writes the tokenizer in Hugging Face's layout: `tokenizer.json` (when loaded from one),
   * `vocab.txt`, and `tokenizer_config.json`; `Tokenizer.fromFolder` and transformers'
   * `AutoTokenizer.from_pretrained` read them back.
   * @param dir Target folder, created if missing.
   * @throws TokenizerError when the files cannot be written.
   */
  save(dir: string): void {
    const files: Record<string, string> = {};
    if (this.#source.json !== null) files['tokenizer.json'] = JSON.stringify(this.#source.json);
    const vocab = this.#source.vocab ?? Array.from({ length: this.vocabSize }, (_, i) => this.#backend.idToToken(i));
    if (vocab.every((t): t is string => t !== undefined)) files['vocab.txt'] = vocab.join('\n') + '\n';
    const config: TokenizerConfig = { tokenizer_class: 'BertTokenizer', ...this.#config };
    for (const role of Object.keys(DEFAULTS) as Role[]) config[`${role}_token`] ??= tokenName(this.#config, role);
    const lower = this.doLowerCase;
    if (lower !== undefined) config.do_lower_case = lower;
    if (this.modelMaxLength !== undefined) config.model_max_length = this.modelMaxLength;
    files['tokenizer_config.json'] = JSON.stringify(config, null, 2) + '\n';
    writeFiles(dir, files, 'Tokenizer.save');
  }
}
