/**
 * The tokenizer of Hugging Face format models: `tokenizer.json` (through
 * `@huggingface/tokenizers`: WordPiece, byte-level BPE, ...) or BERT's `vocab.txt` (our own BERT
 * basic tokenizer and WordPiece), one API: encode texts and pairs, batches with truncation and
 * padding as `int32` tensors, decode (also incrementally), chat templates.
 * @module
 */
import * as path from 'node:path';
import * as nx from '@raven/nx';

import { TokenizerError } from '../errors.js';
import type { TokenizerBackend } from './backend.js';
import { ChatTemplate, templateFromConfig, type ChatMessage, type ChatTemplateOptions } from './chat.js';
import { encodeArrays, toTensors, type EncodeContext } from './encode.js';
import { isFile, readJsonObject, readText, writeFiles } from './files.js';
import { JsonBackend } from './json-backend.js';
import { decodeStream, type DecodeStream } from './stream.js';
import { bertTemplate, numSpecialTokens, templateFromJSON, type Template } from './template.js';
import { DECODE_KEYS, type BatchEncoding, type BatchEncodingArrays, type DecodeOptions, type EncodeOptions, type Encoding, type TextInput, type TokenizerConfig } from './types.js';
import { VocabBackend, parseVocab } from './vocab-backend.js';

/** BERT's special tokens, the names a WordPiece tokenizer falls back on. */
const DEFAULTS = { unk: '[UNK]', sep: '[SEP]', pad: '[PAD]', cls: '[CLS]', mask: '[MASK]' } as const;
type BertRole = keyof typeof DEFAULTS;
type Role = BertRole | 'bos' | 'eos';
const ROLES: readonly Role[] = ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask'];
const CHAT_KEYS: nx.OptionKeys<ChatTemplateOptions> = { addGenerationPrompt: true, tools: true, variables: true };

/** The token `tokenizer_config.json` names for a role (a string or an AddedToken object), else `undefined`. */
function configuredName(config: TokenizerConfig, role: Role): string | undefined {
  const v = config[`${role}_token`];
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

function tokenName(config: TokenizerConfig, role: BertRole): string {
  return configuredName(config, role) ?? DEFAULTS[role];
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
  /** Whether BERT's special tokens (`[CLS]`, `[SEP]`, ...) are the fallback names (WordPiece). */
  bert: boolean;
}

/**
 * A tokenizer of a Hugging Face format model. Load one with {@link Tokenizer.fromFolder} (a model
 * folder), {@link Tokenizer.fromFile} / {@link Tokenizer.fromJSON} (`tokenizer.json`: WordPiece,
 * byte-level BPE as GPT-2, Llama 3 and Gemma use, ...) or {@link Tokenizer.fromVocabFile} /
 * {@link Tokenizer.fromVocab} (BERT's `vocab.txt`); all give the ids of Hugging Face's
 * tokenizers. Encoding adds the special tokens the post-processor names (`[CLS] ... [SEP]` for
 * BERT, pairs `[CLS] A [SEP] B [SEP]` with token type ids 0 then 1; a BOS token for Llama 3 and
 * Gemma; none for GPT-2); truncation and padding follow transformers. {@link Tokenizer.decodeStream}
 * decodes as tokens arrive and {@link Tokenizer.applyChatTemplate} renders conversations.
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
  readonly #chat: ChatTemplate | undefined;

  /** Which file the tokenizer was built from: `'tokenizer.json'` or `'vocab.txt'`. */
  readonly source: 'tokenizer.json' | 'vocab.txt';
  /** The longest input the model takes (`model_max_length`), used when truncation has no `maxLength`; `undefined` when unknown. */
  readonly modelMaxLength: number | undefined;
  /** Id of the padding token (`[PAD]`, 0 for BERT); `undefined` when the tokenizer has none (GPT-2). */
  readonly padTokenId: number | undefined;
  /** Id of the classification token (`[CLS]`, 101 for bert-base-uncased); `undefined` when the tokenizer has none. */
  readonly clsTokenId: number | undefined;
  /** Id of the separator token (`[SEP]`, 102 for bert-base-uncased); `undefined` when the tokenizer has none. */
  readonly sepTokenId: number | undefined;
  /** Id of the unknown token (`[UNK]`, 100 for bert-base-uncased); `undefined` when the tokenizer has none. */
  readonly unkTokenId: number | undefined;
  /** Id of the mask token (`[MASK]`, 103 for bert-base-uncased); `undefined` if the vocabulary has none. */
  readonly maskTokenId: number | undefined;
  /** Id of the beginning-of-sequence token (`bos_token` of `tokenizer_config.json`); `undefined` when none is set. */
  readonly bosTokenId: number | undefined;
  /** Id of the end-of-sequence token (`eos_token` of `tokenizer_config.json`, 50256 for GPT-2); `undefined` when none is set. */
  readonly eosTokenId: number | undefined;

  private constructor(backend: TokenizerBackend, template: Template, config: TokenizerConfig, source: Source, chatTemplate?: string) {
    this.#backend = backend;
    this.#template = template;
    this.#config = config;
    this.#source = source;
    this.source = backend.source;
    this.modelMaxLength = modelMaxLengthOf(config, source.json);
    const id = (role: Role): number | undefined => {
      const name = this.#tokenName(role);
      return name === undefined ? undefined : backend.tokenToId(name);
    };
    this.padTokenId = id('pad');
    this.clsTokenId = id('cls');
    this.sepTokenId = id('sep');
    this.unkTokenId = id('unk');
    this.maskTokenId = id('mask');
    this.bosTokenId = id('bos');
    this.eosTokenId = id('eos');
    const padToken = this.#tokenName('pad');
    this.#ctx = { backend, template, padTokenId: this.padTokenId, padToken: padToken ?? '', modelMaxLength: this.modelMaxLength, paddingSide: config.padding_side === 'left' ? 'left' : 'right' };
    this.#chat = chatTemplate === undefined ? undefined : new ChatTemplate(chatTemplate);
  }

  /** The token of a role: the configured one, else (WordPiece) BERT's name. */
  #tokenName(role: Role): string | undefined {
    const name = configuredName(this.#config, role);
    if (name !== undefined || !this.#source.bert || role === 'bos' || role === 'eos') return name;
    return DEFAULTS[role];
  }

  /**
   * Builds a tokenizer from a parsed `tokenizer.json`, run by `@huggingface/tokenizers`.
   * @param json The parsed `tokenizer.json` (normalizer, pre_tokenizer, model, post_processor, ...).
   * @param config Parsed `tokenizer_config.json` settings (special token names, `model_max_length`,
   *   `clean_up_tokenization_spaces`, `padding_side`, `chat_template`). Default `{}`. Without a
   *   name in the config, a WordPiece tokenizer uses BERT's `[PAD]`, `[CLS]`, `[SEP]`, `[UNK]`,
   *   `[MASK]` where its vocabulary has them; other tokenizers have only the tokens the config names.
   * @param options.chatTemplate A chat template (the text of `chat_template.jinja`); default: the config's `chat_template`.
   * @throws TokenizerError when the object is not a tokenizer, its post-processor is unsupported,
   *   or the chat template does not parse.
   */
  static fromJSON(json: object, config: TokenizerConfig = {}, options: { chatTemplate?: string } = {}): Tokenizer {
    nx.checkOptions('Tokenizer.fromJSON', options, ['chatTemplate']);
    const j = json as Record<string, unknown>;
    if (typeof j !== 'object' || j === null || typeof j.model !== 'object' || j.model === null) {
      throw new TokenizerError(`Tokenizer.fromJSON: expected the contents of a tokenizer.json (an object with a "model" section), got ${JSON.stringify(json)?.slice(0, 80)}`);
    }
    const unk = (j.model as { unk_token?: unknown }).unk_token;
    const cfg = typeof unk === 'string' && config.unk_token === undefined ? { ...config, unk_token: unk } : config;
    const bert = (j.model as { type?: unknown }).type === 'WordPiece';
    const chat = options.chatTemplate ?? templateFromConfig(cfg.chat_template);
    return new Tokenizer(new JsonBackend(j, cfg), templateFromJSON(j.post_processor), cfg, { json: j, vocab: null, bert }, chat);
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
    const names = (Object.keys(DEFAULTS) as BertRole[]).map((r) => tokenName(config, r));
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
    const need = (role: BertRole): [string, number] => {
      const name = tokenName(config, role);
      const i = backend.tokenToId(name);
      if (i === undefined) throw new TokenizerError(`Tokenizer.fromVocab: the ${role} token ${JSON.stringify(name)} is not in the vocabulary; set ${role}_token in tokenizer_config.json`);
      return [name, i];
    };
    need('pad');
    need('unk');
    return new Tokenizer(backend, bertTemplate(need('cls'), need('sep')), { ...config, do_lower_case: lower }, { json: null, vocab, bert: true });
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
   * `vocab.txt`; `tokenizer_config.json` (optional) supplies `do_lower_case`, `model_max_length`,
   * `padding_side`, `chat_template` and special token names (`special_tokens_map.json`, the older
   * file, fills in names the config lacks); `chat_template.jinja` (optional) is the chat template.
   * @throws TokenizerError when the folder has neither `tokenizer.json` nor `vocab.txt`, or a file is malformed.
   */
  static fromFolder(dir: string): Tokenizer {
    const where = 'Tokenizer.fromFolder';
    const cfgFile = path.join(dir, 'tokenizer_config.json');
    const mapFile = path.join(dir, 'special_tokens_map.json');
    const config: TokenizerConfig = {
      ...(isFile(mapFile) ? readJsonObject(mapFile, where) : {}),
      ...(isFile(cfgFile) ? readJsonObject(cfgFile, where) : {}),
    };
    const chatFile = path.join(dir, 'chat_template.jinja');
    const chatTemplate = isFile(chatFile) ? readText(chatFile, where) : undefined;
    const jsonFile = path.join(dir, 'tokenizer.json');
    if (isFile(jsonFile)) return Tokenizer.fromJSON(readJsonObject(jsonFile, where), config, chatTemplate === undefined ? {} : { chatTemplate });
    const vocabFile = path.join(dir, 'vocab.txt');
    if (isFile(vocabFile)) return Tokenizer.fromVocab(parseVocab(readText(vocabFile, where)), config);
    throw new TokenizerError(`${where}: ${dir} has neither tokenizer.json nor vocab.txt; pass the folder of a Hugging Face model with its tokenizer files (or download those files first)`);
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
   * tokens are joined by spaces (lowercasing and accent stripping are not undone); byte-level BPE
   * tokens are turned back into their bytes (a sequence cut inside a character decodes to U+FFFD).
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
   * Decodes a sequence as it grows, for streaming generated text: `push(id)` returns the text that
   * became final with that token, `flush()` what is left at the end. Text is held back while a
   * byte-level token leaves a character incomplete, so no piece ever holds half a character, and
   * the pieces joined equal `decode` of all the ids.
   * @param options See {@link DecodeOptions} (`skipSpecialTokens` is typical).
   * @example
   * ```ts
   * const stream = tokenizer.decodeStream({ skipSpecialTokens: true });
   * for (const id of ids) process.stdout.write(stream.push(id));
   * process.stdout.write(stream.flush());
   * ```
   */
  decodeStream(options: DecodeOptions = {}): DecodeStream {
    return decodeStream((ids) => this.decode(ids, options));
  }

  /** The chat template (Jinja text), `undefined` when the tokenizer has none. */
  get chatTemplate(): string | undefined {
    return this.#chat?.source;
  }

  /** The special tokens by their template names (`bos_token`, `eos_token`, `pad_token`, ...), as chat templates see them. */
  specialTokensMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const role of ROLES) {
      const name = this.#tokenName(role);
      if (name !== undefined && this.#backend.tokenToId(name) !== undefined) out[`${role}_token`] = name;
    }
    return out;
  }

  /**
   * Renders a conversation with the model's chat template (Jinja, run by `@huggingface/jinja`), as
   * transformers' `apply_chat_template(messages, tokenize=False)`: the template gets `messages`,
   * `add_generation_prompt`, `tools` and the special tokens. The text usually starts with the BOS
   * token already, so encode it with `addSpecialTokens: false`.
   * @param messages The conversation, e.g. `[{ role: 'user', content: 'Who is Ahab?' }]`.
   * @param options See {@link ChatTemplateOptions}.
   * @returns The prompt text.
   * @throws TokenizerError when the tokenizer has no chat template, or the template fails.
   * @example
   * ```ts
   * const prompt = tokenizer.applyChatTemplate([{ role: 'user', content: 'Hi!' }], { addGenerationPrompt: true });
   * const ids = tokenizer.encode(prompt, { addSpecialTokens: false }).ids;
   * ```
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    const where = 'Tokenizer.applyChatTemplate';
    nx.checkOptions(where, options, CHAT_KEYS);
    if (this.#chat === undefined) {
      throw new TokenizerError(`${where}: this tokenizer has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json); pass a model made for chat, or write the prompt yourself`);
    }
    if (!Array.isArray(messages) || messages.some((m) => m === null || typeof m !== 'object' || typeof m.role !== 'string')) {
      throw new TokenizerError(`${where}: messages must be an array of {role, content} objects`);
    }
    return this.#chat.render(messages, this.specialTokensMap(), options);
  }

  /**
   * Writes the tokenizer in Hugging Face's layout: `tokenizer.json` (when loaded from one),
   * `vocab.txt` (WordPiece), `tokenizer_config.json` and `chat_template.jinja` (when it has a chat
   * template); `Tokenizer.fromFolder` and transformers' `AutoTokenizer.from_pretrained` read them back.
   * @param dir Target folder, created if missing.
   * @returns The names of the files written.
   * @throws TokenizerError when the files cannot be written.
   */
  save(dir: string): string[] {
    const files: Record<string, string> = {};
    if (this.#source.json !== null) files['tokenizer.json'] = JSON.stringify(this.#source.json);
    let config: TokenizerConfig;
    if (this.#source.bert) {
      const vocab = this.#source.vocab ?? Array.from({ length: this.vocabSize }, (_, i) => this.#backend.idToToken(i));
      if (vocab.every((t): t is string => t !== undefined)) files['vocab.txt'] = vocab.join('\n') + '\n';
      config = { tokenizer_class: 'BertTokenizer', ...this.#config };
      for (const role of Object.keys(DEFAULTS) as BertRole[]) config[`${role}_token`] ??= tokenName(this.#config, role);
      const lower = this.doLowerCase;
      if (lower !== undefined) config.do_lower_case = lower;
    } else {
      config = { ...this.#config };
    }
    if (this.modelMaxLength !== undefined) config.model_max_length = this.modelMaxLength;
    if (this.#chat !== undefined) {
      // transformers 5 keeps the template in its own file
      delete config.chat_template;
      files['chat_template.jinja'] = this.#chat.source;
    }
    files['tokenizer_config.json'] = JSON.stringify(config, null, 2) + '\n';
    writeFiles(dir, files, 'Tokenizer.save');
    return Object.keys(files);
  }
}
