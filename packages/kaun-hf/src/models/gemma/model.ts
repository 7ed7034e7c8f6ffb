/**
 * GemmaForCausalLM: the Llama-shaped decoder with RMSNorm scaling by `1 + w`, embeddings scaled by
 * `sqrt(hidden_size)`, a GeGLU MLP (tanh GELU), multi-query attention as configured and a head
 * tied to the embeddings.
 * @module
 */
import type { CausalLM } from '../causal-lm/types.js';
import type { GenerationDefaults } from '../causal-lm/generation-config.js';
import { decoderForCausalLM } from '../llama/model.js';
import { type GemmaConfig, configToJson } from './config.js';

/** The Gemma language model layer (`Gemma.gemmaForCausalLM`). */
export type GemmaForCausalLM = CausalLM<GemmaConfig>;

/**
 * GemmaForCausalLM (transformers' `GemmaForCausalLM`) from a configuration.
 *
 * - Input `CausalLM.CausalLMInputs`; output `{logits [B, L, vocab], cache?}`.
 * - Params: as Llama's (`model.embed_tokens.weight`, `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight`,
 *   `model.layers.{i}.mlp.{gate,up,down}_proj.weight`, the norms' `weight`, `model.norm.weight`),
 *   with the norms applied as `1 + weight` (so they start at 0) and, with the usual
 *   `tie_word_embeddings`, no `lm_head.weight`.
 * @param config - a configuration from {@link parseConfig}.
 * @param generation - generation defaults; default: from the config's token ids.
 * @throws LayerError (at apply) for inputs that are not int32 `[B, L]`, or a mismatched cache or mask.
 * @example
 * ```ts
 * const model = Gemma.gemmaForCausalLM(Gemma.parseConfig({ hidden_size: 32, intermediate_size: 72, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 20, vocab_size: 1024 }));
 * ```
 */
export function gemmaForCausalLM(config: GemmaConfig, generation?: GenerationDefaults): GemmaForCausalLM {
  return decoderForCausalLM(config, {
    where: 'Gemma.gemmaForCausalLM', architecture: 'GemmaForCausalLM', normOffset: 1, scaleEmbeddings: true,
    configJson: (c) => configToJson(c as GemmaConfig),
  }, generation);
}
