/**
 * The `vocab.txt` tokenizer: BERT's basic tokenizer (clean text, CJK, lowercase and accents,
 * whitespace and punctuation split) and WordPiece, written here. Internal.
 * @internal
 * @module
 */
import { bertNormalize, type BertNormalizerOptions } from './bert-normalizer.js';
import { splitOnTokens, tokensPattern, type TokenizerBackend } from './backend.js';
import { decodeWordPiece } from './decode.js';
import type { Pieces } from './template.js';
import { WordPiece, bertPreTokenize } from './wordpiece.js';

/** Options of {@link VocabBackend}. @internal */
export interface VocabBackendOptions {
  normalizer: BertNormalizerOptions;
  unkToken: string;
  /** Tokens split out of the raw text first and never split further (the special tokens). */
  specialTokens: string[];
}

/**
 * Reads `vocab.txt` text: one token per line, the id is the line number (from 0). A token that
 * appears twice maps to its last line, as transformers and tokenizers do.
 * @internal
 */
export function parseVocab(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The `vocab.txt` implementation. @internal */
export class VocabBackend implements TokenizerBackend {
  readonly source = 'vocab.txt' as const;
  readonly prefixLocal: boolean;
  readonly specialTokens: ReadonlySet<string>;
  readonly #idToToken: readonly string[];
  readonly #tokenToId = new Map<string, number>();
  readonly #normalizer: BertNormalizerOptions;
  readonly #model: WordPiece;
  readonly #special: RegExp | null;

  constructor(vocab: readonly string[], options: VocabBackendOptions) {
    this.#idToToken = vocab;
    vocab.forEach((t, i) => this.#tokenToId.set(t, i));
    this.#normalizer = options.normalizer;
    this.#model = new WordPiece(this.#tokenToId, { unkToken: options.unkToken, continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 });
    const specials = options.specialTokens.filter((t) => this.#tokenToId.has(t));
    this.specialTokens = new Set(specials);
    this.#special = tokensPattern(specials);
    this.prefixLocal = specials.every((t) => !/\s/u.test(t));
  }

  /** The vocabulary in id order. */
  get vocab(): readonly string[] {
    return this.#idToToken;
  }

  get vocabSize(): number {
    return this.#idToToken.length;
  }

  tokenize(text: string): Pieces {
    const ids: number[] = [];
    const tokens: string[] = [];
    for (const part of splitOnTokens(text, this.#special)) {
      if (part.isToken) {
        tokens.push(part.text);
        ids.push(this.#tokenToId.get(part.text)!);
        continue;
      }
      for (const word of bertPreTokenize(bertNormalize(part.text, this.#normalizer))) this.#model.encodeWord(word, ids, tokens);
    }
    return { ids, tokens };
  }

  tokenToId(token: string): number | undefined {
    return this.#tokenToId.get(token);
  }

  idToToken(id: number): string | undefined {
    return Number.isInteger(id) ? this.#idToToken[id] : undefined;
  }

  decode(ids: number[], skipSpecialTokens: boolean, cleanUp: boolean): string {
    let tokens = ids.map((id) => this.#idToToken[id]!);
    if (skipSpecialTokens) tokens = tokens.filter((t) => !this.specialTokens.has(t));
    return decodeWordPiece(tokens, '##', cleanUp);
  }
}
