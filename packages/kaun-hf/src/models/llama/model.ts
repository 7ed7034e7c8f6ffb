/**
 * The Llama-shaped decoder as a kaun layer whose parameter paths are the Hugging Face key names:
 * RMSNorm pre-norm layers of rotary self-attention (grouped-query or multi-query, explicit
 * `head_dim`) and a gated MLP (`down(act(gate(x)) * up(x))`), a final RMSNorm and a head tied to
 * the embeddings or not. Llama, Mistral and Qwen2 use it as is; Gemma with `1 + w` norms,
 * embeddings scaled by `sqrt(hidden_size)` and GeGLU.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Layer, LayerError, type Ptree } from '@raven/kaun';
import type { HfDescriptor } from '../../pretrained/model.js';
import { block, stack } from '../common/block.js';
import { embeddingInit, hfLinear } from '../common/init.js';
import { activation } from '../common/ops.js';
import { attend, splitHeads } from '../causal-lm/attention.js';
import { type GenerationDefaults, generationConfigJson, generationDefaults } from '../causal-lm/generation-config.js';
import { type BaseInput, type BaseOutput, type DecoderState, causalLM } from '../causal-lm/layer.js';
import { applyRotary, inverseFrequencies, rotaryTables } from '../causal-lm/rope.js';
import { siteKey } from '../common/ops.js';
import type { CausalLM, LayerCache } from '../causal-lm/types.js';
import { type DecoderConfig, type LlamaConfig, configToJson } from './config.js';
import { BASE_PREFIX, attentionBiases, paramSpecs } from './keys.js';

/** The Llama-family language model layer (`Llama.llamaForCausalLM`). */
export type LlamaForCausalLM = CausalLM<LlamaConfig>;

/** How a Llama-shaped family differs. @internal */
export interface DecoderVariant {
  /** For messages, e.g. `Llama.llamaForCausalLM`. */
  where: string;
  /** The transformers class. */
  architecture: string;
  /** RMSNorm scales by `offset + w` (Gemma: 1, weights start at 0) or `w` (0, weights start at 1). */
  normOffset: 0 | 1;
  /** Multiply the embeddings by `sqrt(hidden_size)` (Gemma). */
  scaleEmbeddings: boolean;
  /** The family's `config.json`. */
  configJson: (config: DecoderConfig) => Record<string, unknown>;
}

/** RMSNorm `x / sqrt(mean(x^2) + eps) * (offset + w)`; params `weight [dim]`. @internal */
export function rmsNorm(dim: number, eps: number, offset: 0 | 1): Layer.Layer {
  if (offset === 0) return Layer.rmsNorm({ dim, eps });
  return {
    init({ dtype = 'float32' }) {
      return { params: { weight: nx.zeros([dim], dtype) }, state: {}, dtype };
    },
    apply(vars, x) {
      const w = (vars.params as { weight?: Tensor }).weight;
      if (!nx.isTensor(w)) throw new LayerError(`rmsNorm: params need weight [${dim}]`);
      const y = nx.scope(() => nx.mul(nx.mul(x, nx.rsqrt(nx.add(nx.mean(nx.square(x), { axis: -1, keepDims: true }), eps))), nx.add(w, 1)));
      return { y, state: vars.state };
    },
  };
}

/** `self_attn`: rotary attention with grouped key/value heads. @internal */
function selfAttention(config: DecoderConfig, index: number): Layer.Layer<DecoderState, { y: Tensor; cache: LayerCache }> {
  const h = config.hidden_size;
  const heads = config.num_attention_heads;
  const kvHeads = config.num_key_value_heads;
  const d = config.head_dim;
  const std = config.initializer_range;
  const bias = attentionBiases(config);
  return block(
    'Llama.selfAttention',
    {
      q_proj: hfLinear(std, h, heads * d, bias.qkv),
      k_proj: hfLinear(std, h, kvHeads * d, bias.qkv),
      v_proj: hfLinear(std, h, kvHeads * d, bias.qkv),
      o_proj: hfLinear(std, heads * d, h, bias.o),
    },
    (call, x: DecoderState, options) =>
      nx.scope(() => {
        const { cos, sin } = x.rope!;
        const q = applyRotary(splitHeads(call<Tensor, Tensor>('q_proj', x.hidden), heads, d), cos, sin);
        const k = applyRotary(splitHeads(call<Tensor, Tensor>('k_proj', x.hidden), kvHeads, d), cos, sin);
        const v = splitHeads(call<Tensor, Tensor>('v_proj', x.hidden), kvHeads, d);
        const rate = options.training ? config.attention_dropout : 0;
        const { out, cache } = attend(q, k, v, { mask: x.mask, past: x.past?.[index], scale: 1 / Math.sqrt(d), dropout: rate, key: siteKey(options.key, 0) });
        return { y: call<Tensor, Tensor>('o_proj', out), cache };
      }),
  );
}

/** One decoder layer (`layers.{i}`): `x + attn(norm(x))`, then `+ mlp(norm(.))`. @internal */
function decoderLayer(config: DecoderConfig, variant: DecoderVariant, index: number): Layer.Layer<DecoderState, DecoderState> {
  const h = config.hidden_size;
  const std = config.initializer_range;
  const act = activation(config.hidden_act);
  const mlp = block(
    'Llama.mlp',
    {
      gate_proj: hfLinear(std, h, config.intermediate_size, config.mlp_bias),
      up_proj: hfLinear(std, h, config.intermediate_size, config.mlp_bias),
      down_proj: hfLinear(std, config.intermediate_size, h, config.mlp_bias),
    },
    (call, x: Tensor) => nx.scope(() => call<Tensor, Tensor>('down_proj', nx.mul(act(call<Tensor, Tensor>('gate_proj', x)), call<Tensor, Tensor>('up_proj', x)))),
  );
  const norm = (): Layer.Layer => rmsNorm(h, config.rms_norm_eps, variant.normOffset);
  return block<DecoderState, DecoderState>(
    'Llama.decoderLayer',
    { self_attn: selfAttention(config, index), mlp, input_layernorm: norm(), post_attention_layernorm: norm() },
    (call, x) =>
      nx.scope(() => {
        const a = call<DecoderState, { y: Tensor; cache: LayerCache }>('self_attn', { ...x, hidden: call<Tensor, Tensor>('input_layernorm', x.hidden) });
        const mid = nx.add(x.hidden, a.y);
        const hidden = nx.add(mid, call<Tensor, Tensor>('mlp', call<Tensor, Tensor>('post_attention_layernorm', mid)));
        return { ...x, hidden, present: [...x.present, a.cache] };
      }),
  );
}

/** The base model (`model`): embeddings, decoder layers, final norm; RoPE tables made once. @internal */
function decoderModel(config: DecoderConfig, variant: DecoderVariant): Layer.Layer<BaseInput, BaseOutput> {
  const h = config.hidden_size;
  const invFreq = inverseFrequencies(config.rope_parameters, config.head_dim);
  // as transformers: sqrt(hidden) rounded to the compute dtype
  const embedScale = Math.fround(Math.sqrt(h));
  const layers = Array.from({ length: config.num_hidden_layers }, (_, i) => decoderLayer(config, variant, i));
  return block<BaseInput, BaseOutput>(
    `${variant.where}.model`,
    {
      embed_tokens: Layer.embedding({ numEmbeddings: config.vocab_size, embeddingDim: h, weightInit: embeddingInit(config.initializer_range, config.pad_token_id) }),
      layers: stack(`${variant.where}.layers`, layers),
      norm: rmsNorm(h, config.rms_norm_eps, variant.normOffset),
    },
    (call, x) => {
      const total = (x.past?.[0]?.key.shape[2] ?? 0) + x.inputIds.shape[1]!;
      if (config.sliding_window !== null && total > config.sliding_window) {
        throw new LayerError(`${variant.where}: ${total} tokens exceed the sliding window of ${config.sliding_window}; sliding-window attention is not implemented, so keep sequences within the window`);
      }
      return nx.scope(() => {
        let hidden = call<Tensor, Tensor>('embed_tokens', x.inputIds);
        if (variant.scaleEmbeddings) hidden = nx.mul(hidden, embedScale);
        const rope = rotaryTables(x.positions, invFreq);
        const st = call<DecoderState, DecoderState>('layers', { hidden, mask: x.mask, rope, past: x.past, present: [] });
        return { hidden: call<Tensor, Tensor>('norm', st.hidden), present: st.present };
      });
    },
  );
}

/** Builds a Llama-shaped causal LM. @internal */
export function decoderForCausalLM<C extends DecoderConfig>(config: C, variant: DecoderVariant, generation?: GenerationDefaults): CausalLM<C> {
  const ids = { bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id, pad_token_id: config.pad_token_id };
  const gen = generation ?? generationDefaults(ids, config.vocab_size);
  const hf: HfDescriptor = {
    architecture: variant.architecture,
    paramSpecs: () => paramSpecs(config, variant.normOffset === 1 ? 'zeros' : 'ones'),
    configJson: () => variant.configJson(config),
    generationConfigJson: () => generationConfigJson(gen, ids),
  };
  return causalLM<C>({
    where: variant.where,
    config,
    modelType: config.model_type,
    numLayers: config.num_hidden_layers,
    maxPositions: undefined,
    generation: gen,
    hf,
    base: [BASE_PREFIX.slice(0, -1), decoderModel(config, variant)],
    head: config.tie_word_embeddings ? undefined : hfLinear(config.initializer_range, config.hidden_size, config.vocab_size, false),
    embeddings: (params) => ((params['model'] as Record<string, Ptree.Tree>)['embed_tokens'] as Record<string, Tensor>)['weight']!,
  });
}

const ARCHITECTURES = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM' } as const;

/**
 * LlamaForCausalLM (and MistralForCausalLM, Qwen2ForCausalLM, by the config's `model_type`) from
 * a configuration.
 *
 * - Input `CausalLM.CausalLMInputs`; output `{logits [B, L, vocab], cache?}`.
 * - Params (the Hugging Face keys): `model.embed_tokens.weight [vocab, H]`,
 *   `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight` (`[heads * head_dim, H]`,
 *   `[kv_heads * head_dim, H]` twice, `[H, heads * head_dim]`; biases with `attention_bias`, and
 *   q/k/v biases for Qwen2), `model.layers.{i}.mlp.{gate,up,down}_proj.weight`,
 *   `model.layers.{i}.{input,post_attention}_layernorm.weight [H]`, `model.norm.weight`;
 *   `lm_head.weight [vocab, H]` unless `tie_word_embeddings`.
 * - RoPE (`default`, `linear`, `llama3`) on queries and keys; positions from `positionIds` or the
 *   cache length. `init` draws weights as transformers does (`N(0, initializer_range^2)`, norms 1).
 * @param config - a configuration from {@link parseConfig}.
 * @param generation - generation defaults; default: from the config's token ids.
 * @throws LayerError (at apply) for inputs that are not int32 `[B, L]`, a mismatched cache or
 *   mask, or (Mistral) sequences longer than the sliding window.
 * @example
 * ```ts
 * const model = Llama.llamaForCausalLM(Llama.parseConfig({ hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 512 }));
 * const vars = model.init({ key: nx.random.key(0) });
 * ```
 */
export function llamaForCausalLM(config: LlamaConfig, generation?: GenerationDefaults): LlamaForCausalLM {
  return decoderForCausalLM(config, { where: 'Llama.llamaForCausalLM', architecture: ARCHITECTURES[config.model_type], normOffset: 0, scaleEmbeddings: false, configJson: configToJson }, generation);
}
