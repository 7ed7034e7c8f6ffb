/**
 * WordPiece decoding: join tokens, glue `##` pieces to the previous one, clean up spaces. Internal.
 * @internal
 * @module
 */

/**
 * transformers' `clean_up_tokenization`: removes the space before punctuation and English
 * contractions that joining tokens with spaces leaves.
 * @internal
 */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/**
 * Hugging Face's `WordPiece` decoder (with `cleanup`), then transformers' clean-up of the whole
 * string when `cleanUp`: tokens joined by spaces, a token starting with `prefix` glued to the
 * previous one without it.
 * @internal
 */
export function decodeWordPiece(tokens: readonly string[], prefix: string, cleanUp: boolean): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    let t = tokens[i]!;
    if (i > 0) t = t.startsWith(prefix) ? t.slice(prefix.length) : ` ${t}`;
    // The decoder's own clean-up works token by token.
    out += cleanUpTokenization(t);
  }
  return cleanUp ? cleanUpTokenization(out) : out;
}
