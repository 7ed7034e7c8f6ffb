/**
 * The `tokenizer.json` tokenizer, run by `@huggingface/tokenizers` (pure JS). Internal.
 * @internal
 * @module
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';

import { TokenizerError } from '../errors.js';
import type { TokenizerBackend } from './backend.js';
import { bertNormalize, type BertNormalizerOptions } from './bert-normalizer.js';
import type { Pieces } from './template.js';
import type { TokenizerConfig } from './types.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a `BertNormalizer` section of `tokenizer.json`, `null` for any other normalizer. @internal */
export function bertNormalizerOptions(section: unknown): BertNormalizerOptions | null {
  if (!isObj(section) || section.type !== 'BertNormalizer') return null;
  return {
    cleanText: section.clean_text !== false,
    handleChineseChars: section.handle_chinese_chars !== false,
    stripAccents: typeof section.strip_accents === 'boolean' ? section.strip_accents : null,
    lowercase: section.lowercase !== false,
  };
}

/** The `tokenizer.json` implementation. @internal */
export class JsonBackend implements TokenizerBackend {
  readonly source = 'tokenizer.json' as const;
  readonly vocabSize: number;
  readonly prefixLocal: boolean;
  readonly specialTokens: ReadonlySet<string>;
  readonly #hf: HfTokenizer;
  /** transformers never applies its clean-up to BPE output (it would eat real spaces). */
  readonly #cleanUpAllowed: boolean;

  /**
   * @param json The parsed `tokenizer.json`.
   * @param config The parsed `tokenizer_config.json` (or `{}`).
   * @throws TokenizerError when `@huggingface/tokenizers` rejects the file.
   */
  constructor(json: Json, config: TokenizerConfig) {
    try {
      this.#hf = new HfTokenizer(json, config);
    } catch (e) {
      throw new TokenizerError(`Tokenizer.fromJSON: @huggingface/tokenizers could not build a tokenizer from this tokenizer.json: ${(e as Error).message}`, { cause: e });
    }
    const bert = bertNormalizerOptions(json.normalizer);
    if (bert !== null) {
      // @huggingface/tokenizers 0.2.0's BertNormalizer differs from Hugging Face's Rust tokenizers
      // (and from BERT) in two places: it reads UTF-16 units when spacing out CJK ideographs, so
      // the supplementary-plane ones (U+20000..U+2FA1F) stay glued to their neighbours, and it
      // lowercases whole strings, so a final capital sigma becomes ς instead of σ. Our normaliser
      // (also used by the vocab.txt tokenizer) follows the Rust one; the rest stays the library's.
      const fix = (text: string): string => bertNormalize(text, bert);
      this.#hf.normalizer = fix as unknown as HfTokenizer['normalizer'];
    }
    this.vocabSize = this.#hf.get_vocab(true).size;
    const added = Array.isArray(json.added_tokens) ? json.added_tokens.filter(isObj) : [];
    this.specialTokens = new Set(added.filter((t) => t.special === true).map((t) => String(t.content)));
    const pre = isObj(json.pre_tokenizer) ? json.pre_tokenizer.type : undefined;
    const model = isObj(json.model) ? json.model.type : undefined;
    this.#cleanUpAllowed = model !== 'BPE' || config.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output === true;
    this.prefixLocal =
      (json.normalizer === null || bert !== null) &&
      pre === 'BertPreTokenizer' &&
      model === 'WordPiece' &&
      !config.remove_space &&
      !config.do_lowercase_and_remove_accent &&
      added.every((t) => !/\s/u.test(String(t.content)));
  }

  tokenize(text: string): Pieces {
    const { ids, tokens } = this.#hf.encode(text, { add_special_tokens: false });
    return { ids, tokens };
  }

  tokenToId(token: string): number | undefined {
    return this.#hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.#hf.id_to_token(id) : undefined;
  }

  decode(ids: number[], skipSpecialTokens: boolean, cleanUp: boolean): string {
    if (ids.length === 0) return '';
    return this.#hf.decode(ids, { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: cleanUp && this.#cleanUpAllowed });
  }
}
