/**
 * `@raven/kaun-hf`: the Hugging Face Hub client (download with a cache, config, weights incl.
 * sharded checkpoints) and Hugging Face format models for `@raven/kaun`: BERT, and causal
 * language models (GPT-2, Llama, Gemma) with generation.
 * @module @raven/kaun-hf
 */
export * from './errors.js';
export * from './hub/index.js';
export * from './tokenizer/index.js';
export * from './pretrained/index.js';
export * as Bert from './models/bert/index.js';
export * as CausalLM from './models/causal-lm/index.js';
export * as Gpt2 from './models/gpt2/index.js';
export * as Llama from './models/llama/index.js';
export * as Gemma from './models/gemma/index.js';
