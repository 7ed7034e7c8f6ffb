/**
 * Truncation of one text or a pair to a token budget, with transformers' strategies. Internal.
 * @internal
 * @module
 */
import { TokenizerError } from '../errors.js';

/** A normalised truncation strategy. @internal */
export type Strategy = 'longest_first' | 'only_first' | 'only_second';

/**
 * The lengths the texts keep when `budget` tokens are left for them (`maxLength` minus the special
 * tokens). `n2` is `null` for a single text. `longest_first` gives the result of removing the last
 * token of the longer text one at a time, the second text on ties (transformers'
 * `truncate_sequences`); `only_first`/`only_second` cut one text, which must keep at least one token.
 * The result depends on each length only up to `budget`, so lengths clamped at `budget` give the
 * same answer.
 * @throws TokenizerError when `only_*` cannot make the input fit; `where` prefixes the message.
 * @internal
 */
export function truncatedLengths(n1: number, n2: number | null, budget: number, strategy: Strategy, where: string): [number, number] {
  const second = n2 ?? 0;
  const total = n1 + second;
  if (total <= budget) return [n1, second];
  const remove = total - budget;
  if (strategy === 'longest_first') {
    if (n2 === null) return [budget, 0];
    // Removing one token at a time from the longer text (the second on ties) ends, once both are
    // cut, with the first text holding ceil(budget / 2); a text shorter than its share is kept.
    const first = Math.min(n1, Math.max(budget - n2, Math.ceil(budget / 2)));
    return [first, budget - first];
  }
  if (strategy === 'only_second' && n2 === null) {
    throw new TokenizerError(`${where}: truncation 'only_second' needs pairs of texts, but the input is a single text of ${n1} tokens over the budget of ${budget}; use truncation 'longest_first'`);
  }
  const isFirst = strategy === 'only_first';
  const n = isFirst ? n1 : second;
  if (n <= remove) {
    throw new TokenizerError(
      `${where}: truncation '${strategy}' must remove ${remove} tokens but the ${isFirst ? 'first' : 'second'} text has only ${n}; ` +
        `use truncation 'longest_first' or a larger maxLength`,
    );
  }
  return isFirst ? [n1 - remove, second] : [n1, second - remove];
}
