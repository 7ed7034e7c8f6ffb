/**
 * BERT's pre-tokenizer (split on whitespace and punctuation) and the WordPiece model (greedy
 * longest-match-first sub-words). Internal.
 * @internal
 * @module
 */

// BERT's _is_punctuation: the ASCII ranges 33-47, 58-64, 91-96, 123-126 and Unicode P*.
const PUNCT = '\\p{P}\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E';
const WORD_OR_PUNCT = new RegExp(`[^\\s${PUNCT}]+|[${PUNCT}]`, 'gu');
const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Splits normalised text into words as `BertPreTokenizer` does: on whitespace (removed) and
 * around every punctuation character (kept, one per word).
 * @internal
 */
export function bertPreTokenize(text: string): string[] {
  return text.match(WORD_OR_PUNCT) ?? [];
}

/** Options of {@link WordPiece}. @internal */
export interface WordPieceOptions {
  /** Token for a word that cannot be split into vocabulary pieces. */
  unkToken: string;
  /** Prefix of pieces that continue a word. */
  continuingSubwordPrefix: string;
  /** Words longer than this many characters (code points) become `unkToken`. */
  maxInputCharsPerWord: number;
}

const CACHE_LIMIT = 200_000;

/**
 * The WordPiece model: each word becomes the longest vocabulary entry that starts it, then the
 * longest `##`-prefixed entry that continues it, and so on; a word with no such split, or longer
 * than `maxInputCharsPerWord` characters, becomes the unknown token. Results are cached per word.
 * @internal
 */
export class WordPiece {
  readonly #vocab: ReadonlyMap<string, number>;
  readonly #options: WordPieceOptions;
  readonly #unkId: number;
  readonly #cache = new Map<string, readonly string[]>();
  // Longest vocabulary entry in UTF-16 units: no longer candidate can match, which keeps the
  // greedy search linear in the word length instead of quadratic.
  readonly #maxLen: number;

  constructor(vocab: ReadonlyMap<string, number>, options: WordPieceOptions) {
    const unkId = vocab.get(options.unkToken);
    if (unkId === undefined) throw new Error(`unknown token ${JSON.stringify(options.unkToken)} is not in the vocabulary`);
    this.#vocab = vocab;
    this.#options = options;
    this.#unkId = unkId;
    let maxLen = 0;
    for (const t of vocab.keys()) maxLen = Math.max(maxLen, t.length);
    this.#maxLen = maxLen;
  }

  /** Appends the pieces of `word` to `tokens` and their ids to `ids`. */
  encodeWord(word: string, ids: number[], tokens: string[]): void {
    let pieces = this.#cache.get(word);
    if (pieces === undefined) {
      pieces = this.#split(word);
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(word, pieces);
    }
    for (const p of pieces) {
      tokens.push(p);
      ids.push(this.#vocab.get(p) ?? this.#unkId);
    }
  }

  #split(word: string): readonly string[] {
    const { unkToken, continuingSubwordPrefix: prefix, maxInputCharsPerWord } = this.#options;
    // Character boundaries in UTF-16 offsets, so that astral characters count as one.
    let bounds: number[] | null = null;
    if (HAS_SURROGATE.test(word)) {
      bounds = [0];
      for (const ch of word) bounds.push(bounds[bounds.length - 1]! + ch.length);
    }
    const nChars = bounds ? bounds.length - 1 : word.length;
    if (nChars > maxInputCharsPerWord) return [unkToken];
    const at = (i: number): number => (bounds ? bounds[i]! : i);
    const out: string[] = [];
    let start = 0;
    while (start < nChars) {
      let end = nChars;
      let piece: string | null = null;
      while (start < end) {
        // A candidate longer than the longest entry cannot match (a character is >= 1 unit).
        if (at(end) - at(start) + (start > 0 ? prefix.length : 0) > this.#maxLen) {
          end -= 1;
          continue;
        }
        const sub = word.slice(at(start), at(end));
        const candidate = start > 0 ? prefix + sub : sub;
        if (this.#vocab.has(candidate)) {
          piece = candidate;
          break;
        }
        end -= 1;
      }
      if (piece === null) return [unkToken];
      out.push(piece);
      start = end;
    }
    return out;
  }
}
