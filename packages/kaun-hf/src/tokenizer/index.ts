/**
 * The tokenizer of Hugging Face format models: `Tokenizer` (from `tokenizer.json` or BERT's
 * `vocab.txt`), streaming decode, chat templates, and their types.
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
export type { ChatMessage, ChatTemplateOptions } from './chat.js';
export type { DecodeStream } from './stream.js';
