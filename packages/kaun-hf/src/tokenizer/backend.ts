/**
 * What a tokenizer implementation provides to {@link Tokenizer}: text to word pieces (no special
 * tokens), the vocabulary, and decoding. Two implementations: `tokenizer.json` through
 * `@huggingface/tokenizers`, and BERT's `vocab.txt` with our own WordPiece. Internal.
 * @internal
 * @module
 */
import type { Pieces } from './template.js';

/** A tokenizer implementation. @internal */
export interface TokenizerBackend {
  /** Which file it was built from. */
  readonly source: 'tokenizer.json' | 'vocab.txt';
  /** Number of ids, added tokens included. */
  readonly vocabSize: number;
  /**
   * Whether tokenizing a prefix of a text that ends just before a space, tab or newline gives a
   * prefix of the text's tokens (true for BERT's pipeline). It lets a truncating encode stop early
   * on long texts.
   */
  readonly prefixLocal: boolean;
  /** Tokens that are matched in the raw text before normalisation and never split. */
  readonly specialTokens: ReadonlySet<string>;
  /** Tokenizes one text, without special tokens. */
  tokenize(text: string): Pieces;
  /** The id of a token, `undefined` when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined;
  /** The token of an id, `undefined` when out of range. */
  idToToken(id: number): string | undefined;
  /** Joins tokens back to text (WordPiece rules). */
  decode(ids: number[], skipSpecialTokens: boolean, cleanUp: boolean): string;
}

/**
 * Splits `text` at every occurrence of one of `tokens` (leftmost, longest first), as Hugging Face
 * tokenizers splits added tokens out of the raw text before normalisation.
 * @internal
 */
export function splitOnTokens(text: string, pattern: RegExp | null): { text: string; isToken: boolean }[] {
  if (pattern === null) return [{ text, isToken: false }];
  const out: { text: string; isToken: boolean }[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index), isToken: false });
    out.push({ text: m[0], isToken: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), isToken: false });
  return out;
}

/** A global regular expression matching any of `tokens`, longest first; `null` for none. @internal */
export function tokensPattern(tokens: Iterable<string>): RegExp | null {
  const list = [...tokens].filter((t) => t.length > 0).sort((a, b) => b.length - a.length);
  if (list.length === 0) return null;
  return new RegExp(list.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu');
}

const BREAK = /[ \t\n\r]/g;

/**
 * Tokenizes `text` but may stop once `limit` tokens are reached: the result is either the whole
 * tokenization or a prefix of it with at least `limit` tokens. Only for `prefixLocal` backends;
 * the text is cut just before a space, tab or newline, where BERT's pipeline cannot join words.
 * @internal
 */
export function tokenizeUpTo(backend: TokenizerBackend, text: string, limit: number): Pieces {
  // English runs at about 4 characters per token; start there and double the chunk each round.
  let chunk = Math.max(256, limit * 4);
  if (!backend.prefixLocal || text.length <= chunk) return backend.tokenize(text);
  const ids: number[] = [];
  const tokens: string[] = [];
  let pos = 0;
  while (pos < text.length && ids.length < limit) {
    let cut = pos + chunk;
    if (cut >= text.length) cut = text.length;
    else {
      BREAK.lastIndex = cut;
      cut = BREAK.exec(text)?.index ?? text.length;
    }
    const part = backend.tokenize(text.slice(pos, cut));
    for (let i = 0; i < part.ids.length; i++) {
      ids.push(part.ids[i]!);
      tokens.push(part.tokens[i]!);
    }
    pos = cut;
    chunk *= 2;
  }
  return { ids, tokens };
}
