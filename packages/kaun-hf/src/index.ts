/**
 * `@raven/kaun-hf`: the Hugging Face Hub client (download with a cache, config, weights incl.
 * sharded checkpoints) and Hugging Face format models for `@raven/kaun`, BERT first.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './hub/index.js';
export * from './tokenizer/index.js';
export * from './pretrained/index.js';
export * as Bert from './models/bert/index.js';
