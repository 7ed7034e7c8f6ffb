/**
 * Streaming generated text: a {@link Streamer} receives each step's tokens; {@link textStreamer}
 * turns one row's tokens into text as it comes, never cutting a character in half.
 * @module
 */
import * as nx from '@raven/nx';
import { TokenizerError } from '../../errors.js';
import type { Tokenizer } from '../../tokenizer/index.js';

/** Receives tokens as `generate` makes them (transformers' `BaseStreamer`). */
export interface Streamer {
  /**
   * One step: the new token of every row, and which rows really generated it (a row that finished
   * earlier gets the pad id and `false`).
   */
  put(tokens: readonly number[], step: number, active: readonly boolean[]): void;
  /** Called once when generation ends. */
  end(): void;
}

/** Options of {@link textStreamer}. */
export interface TextStreamerOptions {
  /** Where text goes. Default: `process.stdout.write`. */
  write?: (text: string) => void;
  /** Which row of the batch to stream. Default 0. */
  row?: number;
  /** Leave out special tokens (EOS, ...). Default true. */
  skipSpecialTokens?: boolean;
}

const KEYS: nx.OptionKeys<TextStreamerOptions> = { write: true, row: true, skipSpecialTokens: true };

/**
 * A streamer that writes one row's generated text as it comes (transformers' `TextStreamer`):
 * each token is decoded incrementally ({@link Tokenizer.decodeStream}), so byte-level pieces of a
 * character are held back until the character is complete; `end()` writes what is left.
 * @param tokenizer - the model's tokenizer.
 * @param options - see {@link TextStreamerOptions}.
 * @returns the streamer, for `generate`'s `streamer` option.
 * @throws TokenizerError for a bad row; OptionError for an unknown option.
 * @example
 * ```ts
 * await CausalLM.generate(model, vars, 'Call me Ishmael.', { tokenizer, maxNewTokens: 20, streamer: CausalLM.textStreamer(tokenizer) });
 * ```
 */
export function textStreamer(tokenizer: Tokenizer, options: TextStreamerOptions = {}): Streamer {
  nx.checkOptions('CausalLM.textStreamer', options, KEYS);
  const row = options.row ?? 0;
  if (!Number.isInteger(row) || row < 0) throw new TokenizerError(`CausalLM.textStreamer: row must be a non-negative integer, got ${row}`);
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const stream = tokenizer.decodeStream({ skipSpecialTokens: options.skipSpecialTokens ?? true });
  return {
    put(tokens, _step, active) {
      const id = tokens[row];
      if (id === undefined) throw new TokenizerError(`CausalLM.textStreamer: row ${row} is not in a batch of ${tokens.length}`);
      if (!active[row]) return;
      const text = stream.push(id);
      if (text !== '') write(text);
    },
    end() {
      const text = stream.flush();
      if (text !== '') write(text);
    },
  };
}
