/**
 * Gemma in Hugging Face format: the configuration and GemmaForCausalLM as a kaun layer whose
 * parameter paths are the Hugging Face key names. Load checkpoints with `CausalLM.fromPretrained`.
 *
 * @example
 * ```ts
 * import * as nx from '@raven/nx';
 * import { Gemma } from '@raven/kaun-hf';
 * const config = Gemma.parseConfig({ hidden_size: 32, intermediate_size: 72, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 20, vocab_size: 1024 });
 * const vars = Gemma.gemmaForCausalLM(config).init({ key: nx.random.key(0) });
 * ```
 * @module
 */
export { type GemmaConfig, parseConfig, configToJson } from './config.js';
export { type GemmaForCausalLM, gemmaForCausalLM } from './model.js';
