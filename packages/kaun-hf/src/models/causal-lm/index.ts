/**
 * Causal language models from the Hub (GPT-2, the Llama family, Gemma): one entry point that
 * picks the class from `config.json` ({@link fromPretrained}, as transformers'
 * `AutoModelForCausalLM`), the inputs and outputs every such model shares (with a key/value cache
 * for incremental decoding), generation, the causal-LM loss and text datasets for fine-tuning.
 * Save any of them with the package's `savePretrained`.
 *
 * @example
 * ```ts
 * import * as nx from '@raven/nx';
 * import { CausalLM } from '@raven/kaun-hf';
 * const { model, vars, tokenizer } = await CausalLM.fromPretrained('fixtures/gpt2-tiny', { logger: false });
 * const inputIds = nx.fromArray([tokenizer!.encode('The whale').ids], { dtype: 'int32' });
 * const { y } = model.apply(vars, { inputIds });
 * y.logits.shape; // [1, 2, 50257]
 * ```
 * @module
 */
export type { CausalLM, CausalLMInputs, CausalLMOutput, KVCache, LayerCache } from './types.js';
export type { GenerationDefaults } from './generation-config.js';
export { type FromPretrainedOptions, type Pretrained, MODEL_TYPES, fromPretrained } from './pretrained.js';
export { type GenerateInput, type GenerateOptions, type GenerateResult, type FinishReason, generate } from './generate.js';
export { type Streamer, type TextStreamerOptions, textStreamer } from './streamer.js';
export { type LossOptions, IGNORE_INDEX, loss } from './loss.js';
export { type TextDatasetOptions, type TextColumns, type TextBatch, textDataset, toTrainBatch } from './data.js';
