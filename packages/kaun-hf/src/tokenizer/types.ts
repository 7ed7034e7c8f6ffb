/**
 * Public types of the tokenizer: encodings, batch results, options.
 * @module
 */
import type * as nx from '@raven/nx';

/** One encoded input (a text or a pair of texts), as plain arrays of the same length. */
export interface Encoding {
  /** Token ids, special tokens included when they were added. */
  ids: number[];
  /** Segment ids: 0 for the first text and its special tokens, 1 for the second text of a pair. */
  tokenTypeIds: number[];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[];
  /** The token strings (`[CLS]`, `hello`, `##ing`, `[PAD]`, ...). */
  tokens: string[];
}

/** One input of a batch: a text, or a pair of texts (question and context, premise and hypothesis). */
export type TextInput = string | readonly [string, string];

/**
 * How to cut inputs longer than `maxLength` (special tokens count towards `maxLength`).
 * - `'longest_first'` (or `true`): for a pair, remove the last token of the longer text, one token
 *   at a time (the second text when both are equally long) until the pair fits; a single text is
 *   cut at the end.
 * - `'only_first'` / `'only_second'`: cut only that text; an error if it is too short to make the
 *   input fit, or (`'only_second'`) if the input is not a pair.
 * - `false`: never cut.
 */
export type Truncation = boolean | 'longest_first' | 'only_first' | 'only_second';

/**
 * How to pad a batch (with the pad token, token type 0 and attention mask 0, on the right unless
 * `paddingSide` says otherwise).
 * - `'longest'` (or `true`): to the longest encoding of the batch.
 * - `'max_length'`: to `maxLength`.
 * - `false`: no padding (encodings keep their own lengths).
 */
export type Padding = boolean | 'longest' | 'max_length';

/** Options of `Tokenizer.encode`, `encodeBatch` and `encodeBatchArrays`. */
export interface EncodeOptions {
  /** Add `[CLS]`/`[SEP]` (the post-processor's template). Default `true`. */
  addSpecialTokens?: boolean;
  /**
   * Length limit for truncation and for `padding: 'max_length'`, special tokens included.
   * Default: none, or the tokenizer's `modelMaxLength` where truncation or `'max_length'`
   * padding needs one.
   */
  maxLength?: number;
  /** Default `'longest_first'` when `maxLength` is given, else `false`. */
  truncation?: Truncation;
  /** Default `false` for `encode`, `'longest'` for `encodeBatch` and `encodeBatchArrays`. */
  padding?: Padding;
  /** Which side padding goes on: `'left'` is what batched generation wants. Default: the tokenizer's `padding_side`, else `'right'`. */
  paddingSide?: 'left' | 'right';
}

/** The keys of {@link EncodeOptions}. @internal */
export const ENCODE_KEYS: nx.OptionKeys<EncodeOptions> = { addSpecialTokens: true, maxLength: true, truncation: true, padding: true, paddingSide: true };

/** Options of `Tokenizer.decode`. */
export interface DecodeOptions {
  /** Leave out special tokens (`[CLS]`, `[SEP]`, `[PAD]`, ...). Default `false`. */
  skipSpecialTokens?: boolean;
  /**
   * Remove the spaces the WordPiece join leaves before punctuation and English contractions
   * (`" ."` -> `"."`, `" 's"` -> `"'s"`, ...), as transformers does. Default: the tokenizer's
   * `clean_up_tokenization_spaces` setting, `true` when unset.
   */
  cleanUpTokenizationSpaces?: boolean;
}

/** The keys of {@link DecodeOptions}. @internal */
export const DECODE_KEYS: nx.OptionKeys<DecodeOptions> = { skipSpecialTokens: true, cleanUpTokenizationSpaces: true };

/** A batch as plain arrays, one row per input, the same fields as {@link BatchEncoding}. */
export interface BatchEncodingArrays {
  /** Token ids per input. */
  inputIds: number[][];
  /** Segment ids per input. */
  tokenTypeIds: number[][];
  /** Attention masks per input (1 real token, 0 padding). */
  attentionMask: number[][];
  /** Token strings per input. */
  tokens: string[][];
}

/** A batch as `int32` tensors of shape `[batch, length]`, the inputs of a BERT model. */
export interface BatchEncoding {
  /** Token ids, `int32 [B, L]`. */
  inputIds: nx.Tensor;
  /** Segment ids, `int32 [B, L]`. */
  tokenTypeIds: nx.Tensor;
  /** 1 for real tokens, 0 for padding, `int32 [B, L]`. */
  attentionMask: nx.Tensor;
}

/** A special token as transformers writes it in `tokenizer_config.json` (an AddedToken object). */
export interface SpecialTokenSpec {
  /** The token's text, e.g. `[CLS]`. */
  content: string;
}

/**
 * Settings read from `tokenizer_config.json` (all optional); the ones a `vocab.txt`-only (or
 * WordPiece) tokenizer needs have BERT's defaults.
 */
export interface TokenizerConfig {
  /** Lowercase (and strip accents, unless `strip_accents` is `false`). Default `true`. */
  do_lower_case?: boolean;
  /** `null`: follow `do_lower_case`. Default `null`. */
  strip_accents?: boolean | null;
  /** Split CJK ideographs into words of their own. Default `true`. */
  tokenize_chinese_chars?: boolean;
  /** The longest input the model takes (512 for BERT). */
  model_max_length?: number;
  /** Default `true`. */
  clean_up_tokenization_spaces?: boolean;
  /** Default `[UNK]` (WordPiece). */
  unk_token?: string | SpecialTokenSpec;
  /** Default `[SEP]` (WordPiece). */
  sep_token?: string | SpecialTokenSpec;
  /** Default `[PAD]` (WordPiece). */
  pad_token?: string | SpecialTokenSpec;
  /** Default `[CLS]` (WordPiece). */
  cls_token?: string | SpecialTokenSpec;
  /** Default `[MASK]`. */
  mask_token?: string | SpecialTokenSpec;
  /** The beginning-of-sequence token (`<|endoftext|>` for GPT-2, `<bos>` for Gemma). Default: none. */
  bos_token?: string | SpecialTokenSpec;
  /** The end-of-sequence token. Default: none. */
  eos_token?: string | SpecialTokenSpec;
  /** Where padding goes: `'right'` (default) or `'left'`. */
  padding_side?: string;
  /** A chat template (Jinja), or named templates `[{name, template}]`; `chat_template.jinja` wins. */
  chat_template?: unknown;
  /** Any other setting is kept (and written back by `save`). */
  [key: string]: unknown;
}
