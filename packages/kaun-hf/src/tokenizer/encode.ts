/**
 * Encoding a batch: tokenize, truncate, add special tokens, pad; and the tensor form. Internal.
 * @internal
 * @module
 */
import * as nx from '@raven/nx';

import { TokenizerError } from '../errors.js';
import { tokenizeUpTo, type TokenizerBackend } from './backend.js';
import { applyTemplate, numSpecialTokens, type Pieces, type Template } from './template.js';
import { truncatedLengths, type Strategy } from './truncation.js';
import { ENCODE_KEYS, type BatchEncoding, type BatchEncodingArrays, type EncodeOptions, type Padding, type TextInput } from './types.js';

/** What encoding needs from a tokenizer. @internal */
export interface EncodeContext {
  backend: TokenizerBackend;
  template: Template;
  padTokenId: number | undefined;
  padToken: string;
  modelMaxLength: number | undefined;
  /** Where padding goes unless the options say: the tokenizer's `padding_side`. */
  paddingSide: 'left' | 'right';
}

const describe = (v: unknown): string => (typeof v === 'string' ? 'a string' : Array.isArray(v) ? `an array of ${v.length}` : String(v === null ? null : typeof v));

function checkMaxLength(maxLength: unknown, where: string): number {
  if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 1) {
    throw new TokenizerError(`${where}: maxLength must be a positive integer, got ${JSON.stringify(maxLength)}`);
  }
  return maxLength;
}

function strategyOf(truncation: unknown, where: string): Strategy | null {
  if (truncation === false) return null;
  if (truncation === true) return 'longest_first';
  if (truncation === 'longest_first' || truncation === 'only_first' || truncation === 'only_second') return truncation;
  throw new TokenizerError(`${where}: truncation must be true, false, 'longest_first', 'only_first' or 'only_second', got ${JSON.stringify(truncation)}`);
}

function paddingOf(padding: unknown, where: string): 'longest' | 'max_length' | null {
  if (padding === false) return null;
  if (padding === true || padding === 'longest') return 'longest';
  if (padding === 'max_length') return 'max_length';
  throw new TokenizerError(`${where}: padding must be 'longest', 'max_length', true or false, got ${JSON.stringify(padding)}`);
}

function checkInput(input: unknown, i: number, where: string): [string, string | null] {
  if (typeof input === 'string') return [input, null];
  if (Array.isArray(input) && input.length === 2 && typeof input[0] === 'string' && typeof input[1] === 'string') return [input[0], input[1]];
  throw new TokenizerError(`${where}: input ${i} must be a string or a pair [string, string], got ${describe(input)}`);
}

const cut = (p: Pieces, n: number): Pieces => (p.ids.length <= n ? p : { ids: p.ids.slice(0, n), tokens: p.tokens.slice(0, n) });

/**
 * Encodes texts or pairs to plain arrays with truncation and padding (see `EncodeOptions`).
 * @throws TokenizerError for invalid options or inputs, and when an `only_*` truncation is impossible.
 * @internal
 */
export function encodeArrays(
  ctx: EncodeContext,
  inputs: readonly TextInput[],
  options: EncodeOptions,
  defaultPadding: Padding,
  where: string,
): BatchEncodingArrays {
  nx.checkOptions(where, options, ENCODE_KEYS);
  if (!Array.isArray(inputs)) throw new TokenizerError(`${where}: expected an array of texts or pairs, got ${describe(inputs)}`);
  const addSpecial = options.addSpecialTokens ?? true;
  let maxLength = options.maxLength === undefined ? undefined : checkMaxLength(options.maxLength, where);
  const strategy = strategyOf(options.truncation ?? maxLength !== undefined, where);
  const padding = paddingOf(options.padding ?? defaultPadding, where);
  if (maxLength === undefined && (strategy !== null || padding === 'max_length')) {
    if (ctx.modelMaxLength === undefined) {
      throw new TokenizerError(
        `${where}: ${strategy !== null ? 'truncation' : "padding 'max_length'"} needs maxLength, and this tokenizer has no model_max_length (tokenizer_config.json); pass maxLength`,
      );
    }
    maxLength = ctx.modelMaxLength;
  }
  const out: BatchEncodingArrays = { inputIds: [], tokenTypeIds: [], attentionMask: [], tokens: [] };
  inputs.forEach((input, i) => {
    const [textA, textB] = checkInput(input, i, where);
    let a: Pieces;
    let b: Pieces | null = null;
    if (strategy === null) {
      a = ctx.backend.tokenize(textA);
      if (textB !== null) b = ctx.backend.tokenize(textB);
    } else {
      const nSpecial = addSpecial ? numSpecialTokens(ctx.template, textB !== null) : 0;
      const budget = maxLength! - nSpecial;
      if (budget < 0) {
        throw new TokenizerError(`${where}: maxLength ${maxLength} cannot hold the ${nSpecial} special tokens of ${textB === null ? 'a single text' : 'a pair'}; use maxLength >= ${nSpecial}`);
      }
      // Only the first `budget` tokens of a text can survive truncation, so long texts are
      // tokenized only that far (see tokenizeUpTo); the lengths then agree up to `budget`.
      a = tokenizeUpTo(ctx.backend, textA, budget);
      if (textB !== null) b = tokenizeUpTo(ctx.backend, textB, budget);
      const [n1, n2] = truncatedLengths(a.ids.length, b === null ? null : b.ids.length, budget, strategy, `${where} (input ${i})`);
      a = cut(a, n1);
      if (b !== null) b = cut(b, n2);
    }
    const enc = applyTemplate(ctx.template, a, b, addSpecial);
    out.inputIds.push(enc.ids);
    out.tokenTypeIds.push(enc.tokenTypeIds);
    out.attentionMask.push(new Array<number>(enc.ids.length).fill(1));
    out.tokens.push(enc.tokens);
  });
  if (padding !== null) {
    const target = padding === 'max_length' ? maxLength! : out.inputIds.reduce((m, r) => Math.max(m, r.length), 0);
    const side = options.paddingSide ?? ctx.paddingSide;
    if (side !== 'left' && side !== 'right') throw new TokenizerError(`${where}: paddingSide must be 'left' or 'right', got ${JSON.stringify(side)}`);
    const add = <T>(row: T[], n: number, value: T): void => {
      const fill = new Array<T>(n).fill(value);
      if (side === 'right') row.push(...fill);
      else row.unshift(...fill);
    };
    for (let i = 0; i < out.inputIds.length; i++) {
      const n = target - out.inputIds[i]!.length;
      if (n <= 0) continue;
      if (ctx.padTokenId === undefined) {
        throw new TokenizerError(
          `${where}: the inputs need padding but this tokenizer has no pad token; set pad_token in tokenizer_config.json ` +
            `(many causal models pad with their EOS token), or pass texts of equal length`,
        );
      }
      add(out.inputIds[i]!, n, ctx.padTokenId);
      add(out.tokenTypeIds[i]!, n, 0);
      add(out.attentionMask[i]!, n, 0);
      add(out.tokens[i]!, n, ctx.padToken);
    }
  }
  return out;
}

/**
 * Packs equal-length rows into `int32 [B, L]` tensors.
 * @throws TokenizerError when the rows differ in length.
 * @internal
 */
export function toTensors(arrays: BatchEncodingArrays, where: string): BatchEncoding {
  const rows = arrays.inputIds;
  const B = rows.length;
  const L = B === 0 ? 0 : rows[0]!.length;
  const bad = rows.findIndex((r) => r.length !== L);
  if (bad >= 0) {
    throw new TokenizerError(
      `${where}: tensors need equal lengths, but input 0 has ${L} tokens and input ${bad} has ${rows[bad]!.length}; ` +
        `use padding 'longest', or padding 'max_length' with truncation`,
    );
  }
  const pack = (m: number[][]): nx.Tensor => {
    const flat = new Int32Array(B * L);
    m.forEach((r, i) => flat.set(r, i * L));
    return nx.fromArray(flat, { shape: [B, L], dtype: 'int32' });
  };
  return { inputIds: pack(arrays.inputIds), tokenTypeIds: pack(arrays.tokenTypeIds), attentionMask: pack(arrays.attentionMask) };
}
