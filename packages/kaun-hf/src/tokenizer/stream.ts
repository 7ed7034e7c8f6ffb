/**
 * Incremental decoding: text as tokens arrive, never half a character (a byte-level BPE token
 * may hold part of a UTF-8 sequence; its text is held back until the character is complete).
 * @module
 */

/** Decodes a token sequence as it grows (see `Tokenizer.decodeStream`). */
export interface DecodeStream {
  /**
   * Adds one token; returns the text that became final with it (`''` while a character or a
   * word boundary is incomplete).
   */
  push(id: number): string;
  /** Returns whatever is held back (at the end of a generation), and resets nothing else. */
  flush(): string;
}

/**
 * A {@link DecodeStream} over a decode function, as Hugging Face tokenizers' `DecodeStream`: it
 * decodes a window that starts a few tokens back (so decoders that treat the first token
 * specially, such as Metaspace's leading space, see context), emits the new text only when it
 * extends the previous text and does not end in U+FFFD (an incomplete UTF-8 sequence).
 * @internal
 */
export function decodeStream(decode: (ids: number[]) => string): DecodeStream {
  let ids: number[] = [];
  let prefix = '';
  let prefixIndex = 0; // ids[0..prefixIndex) are context only, already emitted
  const advance = (text: string): string => {
    const fresh = text.slice(prefix.length);
    ids = ids.slice(prefixIndex);
    prefixIndex = ids.length;
    prefix = decode(ids);
    return fresh;
  };
  return {
    push(id) {
      ids.push(id);
      const text = decode(ids);
      if (text.length > prefix.length && text.startsWith(prefix) && !text.endsWith('\uFFFD')) return advance(text);
      return '';
    },
    flush() {
      const text = decode(ids);
      return text.length <= prefix.length ? '' : advance(text);
    },
  };
}
