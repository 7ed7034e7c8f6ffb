/**
 * A byte-level BPE tokenizer trained from text, GPT-2 style (the same pre-tokenizer regex, byte
 * alphabet and merge rule as Hugging Face tokenizers' `ByteLevelBPETokenizer`), written as a
 * `tokenizer.json` that `Tokenizer.fromJSON`, transformers and tokenizers read.
 * @module
 */

/** GPT-2's split of text into words before BPE (contractions, letters, numbers, other, spaces). */
const PRE_TOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's `bytes_to_unicode`: each byte as a printable character (so tokens are readable strings). */
export function byteAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const out = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  return out;
}

/** Options of {@link trainBpe}. */
export interface TrainBpeOptions {
  /** Vocabulary size including the 256 bytes and the end-of-text token. */
  vocabSize: number;
  /** The end-of-text token (also BOS, EOS and unknown, as GPT-2's). Default `<|endoftext|>`. */
  endOfText?: string;
  /** Pairs seen fewer times than this are not merged. Default 2. */
  minFrequency?: number;
}

/** A trained tokenizer: the `tokenizer.json` and `tokenizer_config.json` contents. */
export interface TrainedBpe {
  json: Record<string, unknown>;
  config: Record<string, unknown>;
}

/**
 * Learns byte-level BPE merges from `text`: counts words (GPT-2's pre-tokenizer, bytes mapped to
 * GPT-2's alphabet), then repeatedly merges the most frequent adjacent pair (ties to the pair
 * first seen), updating only the words that hold it, until `vocabSize` tokens exist.
 */
export function trainBpe(text: string, options: TrainBpeOptions): TrainedBpe {
  const eot = options.endOfText ?? '<|endoftext|>';
  const minFrequency = options.minFrequency ?? 2;
  const alphabet = byteAlphabet();
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(PRE_TOKENIZE)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  const vocab = new Map<string, number>();
  // the byte alphabet in byte order, as the trainer's initial alphabet
  for (let b = 0; b < 256; b++) vocab.set(alphabet[b]!, b);
  const words: { symbols: string[]; freq: number }[] = [];
  for (const [w, freq] of counts) words.push({ symbols: Array.from(encoder.encode(w), (b) => alphabet[b]!), freq });
  const pairKey = (a: string, b: string): string => `${a}\u0000${b}`;
  const pairs = new Map<string, number>();
  const where = new Map<string, Set<number>>();
  const addPairs = (i: number, sign: number): void => {
    const { symbols, freq } = words[i]!;
    for (let j = 0; j + 1 < symbols.length; j++) {
      const k = pairKey(symbols[j]!, symbols[j + 1]!);
      const c = (pairs.get(k) ?? 0) + sign * freq;
      if (c === 0) pairs.delete(k);
      else pairs.set(k, c);
      if (sign > 0) {
        let s = where.get(k);
        if (s === undefined) where.set(k, (s = new Set()));
        s.add(i);
      }
    }
  };
  words.forEach((_, i) => addPairs(i, 1));
  const merges: [string, string][] = [];
  while (vocab.size < options.vocabSize - 1) {
    let best: string | undefined;
    let bestCount = minFrequency - 1;
    for (const [k, c] of pairs) {
      if (c > bestCount) {
        best = k;
        bestCount = c;
      }
    }
    if (best === undefined) break;
    const [a, b] = best.split('\u0000') as [string, string];
    const merged = a + b;
    merges.push([a, b]);
    vocab.set(merged, vocab.size);
    for (const i of where.get(best) ?? []) {
      const w = words[i]!;
      addPairs(i, -1);
      const next: string[] = [];
      for (let j = 0; j < w.symbols.length; j++) {
        if (j + 1 < w.symbols.length && w.symbols[j] === a && w.symbols[j + 1] === b) {
          next.push(merged);
          j++;
        } else next.push(w.symbols[j]!);
      }
      w.symbols = next;
      addPairs(i, 1);
    }
    pairs.delete(best);
    where.delete(best);
  }
  const eotId = vocab.size;
  vocab.set(eot, eotId);
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [{ id: eotId, content: eot, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
      post_processor: { type: 'ByteLevel', ...byteLevel, trim_offsets: false },
      decoder: { type: 'ByteLevel', ...byteLevel },
      model: {
        type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
        fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: Object.fromEntries(vocab), merges,
      },
    },
    config: { backend: 'tokenizers', tokenizer_class: 'TokenizersBackend', bos_token: eot, eos_token: eot, unk_token: eot },
  };
}
