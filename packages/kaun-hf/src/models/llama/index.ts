/**
 * The Llama family in Hugging Face format (Llama, Mistral without sliding window, Qwen2): the
 * configuration (RoPE `default`, `linear`, `llama3`; grouped-query and multi-query attention;
 * explicit `head_dim`; biases as configured) and the causal LM as a kaun layer whose parameter
 * paths are the Hugging Face key names. Load checkpoints with `CausalLM.fromPretrained`.
 *
 * @example
 * ```ts
 * import * as nx from '@raven/nx';
 * import { Llama } from '@raven/kaun-hf';
 * const config = Llama.parseConfig({ hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 512 });
 * const model = Llama.llamaForCausalLM(config);
 * const vars = model.init({ key: nx.random.key(0) });
 * ```
 * @module
 */
export {
  type LlamaConfig, type DecoderConfig, type LlamaModelType, type DecoderModelType, type RopeParameters, type RopeType,
  ROPE_TYPES, parseConfig, configToJson,
} from './config.js';
export { type DecoderInit, paramSpecs } from './keys.js';
export { type LlamaForCausalLM, llamaForCausalLM } from './model.js';
export { inverseFrequencies } from '../causal-lm/rope.js';
