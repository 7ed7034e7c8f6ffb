/**
 * BERT's text normalisation (Hugging Face `BertNormalizer`, the `BasicTokenizer` of the original
 * BERT): clean the text, space out CJK ideographs, strip accents, lowercase. Internal.
 * @internal
 * @module
 */

/** Options of {@link bertNormalize}, as in the `BertNormalizer` section of `tokenizer.json`. */
export interface BertNormalizerOptions {
  /** Remove NUL, U+FFFD and control characters; map every whitespace character to a space. */
  cleanText: boolean;
  /** Put spaces around CJK ideographs so that each becomes a word of its own. */
  handleChineseChars: boolean;
  /** Decompose (NFD) and drop non-spacing marks; `null` follows `lowercase` as BERT does. */
  stripAccents: boolean | null;
  /** Lowercase, character by character (no final-sigma rule, as Rust's `char::to_lowercase`). */
  lowercase: boolean;
}

// Control characters in BERT's sense: Unicode categories Cc, Cf, Co, Cs except \t \n \r, plus
// NUL and U+FFFD. Unassigned code points (Cn) are kept, as Hugging Face's Rust tokenizers keeps
// them (Python's slow BertTokenizer drops them). With the `u` flag a lone surrogate matches \p{Cs}.
const CONTROL = /[\0\uFFFD]|(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;
// Whitespace after control removal: JS \s covers Unicode White_Space (Rust's char::is_whitespace)
// except U+0085, which is Cc and removed above; U+FEFF (in JS \s, not White_Space) is Cf, removed too.
const WHITESPACE = /\s/gu;
// The CJK blocks of BERT's _is_chinese_char (code points, not UTF-16 units).
const CHINESE =
  /[\u{4E00}-\u{9FFF}\u{3400}-\u{4DBF}\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\u{F900}-\u{FAFF}\u{2F800}-\u{2FA1F}]/gu;
const NONSPACING_MARK = /\p{Mn}/gu;
// Anything outside printable ASCII: the only text the fast path cannot handle alone.
const NON_ASCII_OR_CONTROL = /[^\x20-\x7E]/;

/**
 * Normalises `text` as Hugging Face's Rust `BertNormalizer` does (the reference the tests compare
 * with): clean text, then CJK spacing, then accent stripping, then lowercasing.
 * @internal
 */
export function bertNormalize(text: string, options: BertNormalizerOptions): string {
  // Printable ASCII needs no cleaning, no CJK handling and no accent stripping.
  if (!NON_ASCII_OR_CONTROL.test(text)) return options.lowercase ? text.toLowerCase() : text;
  let s = text;
  if (options.cleanText) s = s.replace(CONTROL, '').replace(WHITESPACE, ' ');
  if (options.handleChineseChars) s = s.replace(CHINESE, ' $& ');
  const strip = options.stripAccents ?? options.lowercase;
  if (strip) s = s.normalize('NFD').replace(NONSPACING_MARK, '');
  if (options.lowercase) {
    // String.prototype.toLowerCase applies the context-dependent Final_Sigma rule (Σ -> ς at the
    // end of a word); BERT's tokenizers lowercase each character alone (Σ -> σ). Σ is the only
    // character with a context-dependent, language-independent lowercase mapping.
    s = s.replaceAll('\u03A3', '\u03C3').toLowerCase();
  }
  return s;
}
