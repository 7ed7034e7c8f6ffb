/**
 * The parameters of the Llama-shaped decoders (Hugging Face key names, which are also the Ptree
 * paths) and the rules that map checkpoint keys onto them.
 * @module
 */
import type { KeyRules } from '../../pretrained/keys.js';
import type { ParamSpec } from '../../pretrained/model.js';
import type { DecoderConfig } from './config.js';

/** How a parameter starts fresh: `N(0, std^2)`, an embedding (padding row zero), zeros, ones. */
export type DecoderInit = 'normal' | 'embedding' | 'zeros' | 'ones';

/** The base model's prefix in `*ForCausalLM` (transformers' `base_model_prefix`). */
export const BASE_PREFIX = 'model.';

/** Which attention projections carry a bias: Llama's `attention_bias` covers all four, Qwen2 has q, k, v biases always. @internal */
export function attentionBiases(config: DecoderConfig): { qkv: boolean; o: boolean } {
  if (config.model_type === 'qwen2') return { qkv: true, o: false };
  return { qkv: config.attention_bias, o: config.attention_bias };
}

/**
 * Every parameter of `LlamaForCausalLM` (and Mistral's, Qwen2's, Gemma's) in transformers'
 * order: `model.embed_tokens.weight [vocab, H]`; per layer `self_attn.{q,k,v,o}_proj` (`q`:
 * `[heads * head_dim, H]`, `k`/`v`: `[kv_heads * head_dim, H]`, `o`: `[H, heads * head_dim]`,
 * biases where configured), `mlp.{gate,up,down}_proj`, `input_layernorm.weight`,
 * `post_attention_layernorm.weight`; `model.norm.weight`; `lm_head.weight [vocab, H]` unless tied.
 * @param normInit - how the norms start: `'ones'` (Llama) or `'zeros'` (Gemma's `1 + w`).
 */
export function paramSpecs(config: DecoderConfig, normInit: DecoderInit = 'ones'): ParamSpec<DecoderInit>[] {
  const h = config.hidden_size;
  const q = config.num_attention_heads * config.head_dim;
  const kv = config.num_key_value_heads * config.head_dim;
  const bias = attentionBiases(config);
  const lin = (name: string, inF: number, outF: number, withBias: boolean): ParamSpec<DecoderInit>[] => [
    { path: `${name}.weight`, shape: [outF, inF], init: 'normal' },
    ...(withBias ? [{ path: `${name}.bias`, shape: [outF], init: 'zeros' as const }] : []),
  ];
  const out: ParamSpec<DecoderInit>[] = [{ path: `${BASE_PREFIX}embed_tokens.weight`, shape: [config.vocab_size, h], init: 'embedding' }];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `${BASE_PREFIX}layers.${i}`;
    out.push(
      ...lin(`${p}.self_attn.q_proj`, h, q, bias.qkv),
      ...lin(`${p}.self_attn.k_proj`, h, kv, bias.qkv),
      ...lin(`${p}.self_attn.v_proj`, h, kv, bias.qkv),
      ...lin(`${p}.self_attn.o_proj`, q, h, bias.o),
      ...lin(`${p}.mlp.gate_proj`, h, config.intermediate_size, config.mlp_bias),
      ...lin(`${p}.mlp.up_proj`, h, config.intermediate_size, config.mlp_bias),
      ...lin(`${p}.mlp.down_proj`, config.intermediate_size, h, config.mlp_bias),
      { path: `${p}.input_layernorm.weight`, shape: [h], init: normInit },
      { path: `${p}.post_attention_layernorm.weight`, shape: [h], init: normInit },
    );
  }
  out.push({ path: `${BASE_PREFIX}norm.weight`, shape: [h], init: normInit });
  if (!config.tie_word_embeddings) out.push({ path: 'lm_head.weight', shape: [config.vocab_size, h], init: 'normal' });
  return out;
}

/**
 * The key rules: a base-model checkpoint (no `model.` prefix) loads too; the rotary buffers
 * (`rotary_emb.inv_freq`) and a stored copy of a tied head are ignored.
 */
export function keyRules(config: DecoderConfig): KeyRules {
  return {
    basePrefix: BASE_PREFIX,
    prefixed: true,
    ignore: (k) => /(^|\.)rotary_emb\.inv_freq$/.test(k) || (config.tie_word_embeddings && k === 'lm_head.weight'),
  };
}
