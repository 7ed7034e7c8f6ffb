/**
 * The BERT tokenizer: `Tokenizer` (from `tokenizer.json` or `vocab.txt`) and its types.
 * @module
 */
export { Tokenizer } from './tokenizer.js';
export type {
  BatchEncoding,
  BatchEncodingArrays,
  DecodeOptions,
  EncodeOptions,
  Encoding,
  Padding,
  SpecialTokenSpec,
  TextInput,
  TokenizerConfig,
  Truncation,
} from './types.js';
