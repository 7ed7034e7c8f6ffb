/**
 * GPT2LMHeadModel as a kaun layer whose parameter paths are the Hugging Face key names: learned
 * token and position embeddings, pre-LayerNorm blocks of causal self-attention (fused `c_attn`
 * Conv1D) and a `gelu_new` MLP, a final LayerNorm and a head tied to the token embeddings.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Init, Layer, LayerError, type Ptree } from '@raven/kaun';
import { block, stack } from '../common/block.js';
import { embeddingInit, hfLinear } from '../common/init.js';
import { activation, dropout, siteKey } from '../common/ops.js';
import { attend, splitHeads } from '../causal-lm/attention.js';
import { type GenerationDefaults, generationConfigJson, generationDefaults } from '../causal-lm/generation-config.js';
import { type BaseInput, type BaseOutput, type DecoderState, causalLM } from '../causal-lm/layer.js';
import type { CausalLM } from '../causal-lm/types.js';
import { type Gpt2Config, configToJson } from './config.js';
import { BASE_PREFIX, innerSize, paramSpecs } from './keys.js';

/** The GPT-2 language model layer (`Gpt2.gpt2LMHeadModel`). */
export type Gpt2LMHeadModel = CausalLM<Gpt2Config>;

/** transformers' Conv1D: `y = x W + b` with `W [in, out]`; weight `N(0, std^2)`, bias zero. @internal */
export function conv1d(where: string, inFeatures: number, outFeatures: number, std: number): Layer.Layer {
  const normal = Init.normal({ std });
  return {
    init({ key, dtype = 'float32' }) {
      return { params: { weight: normal(key, [inFeatures, outFeatures], dtype), bias: nx.zeros([outFeatures], dtype) }, state: {}, dtype };
    },
    apply(vars, x) {
      const p = vars.params as { weight?: Tensor; bias?: Tensor };
      if (!nx.isTensor(p.weight) || !nx.isTensor(p.bias)) throw new LayerError(`${where}: params need weight [${inFeatures}, ${outFeatures}] and bias [${outFeatures}]`);
      return { y: nx.scope(() => nx.add(nx.matmul(x, p.weight!), p.bias!)), state: vars.state };
    },
  };
}

/** One GPT-2 block (`h.{i}`): `x + attn(ln_1(x))`, then `+ mlp(ln_2(.))`. @internal */
function gpt2Block(config: Gpt2Config, index: number): Layer.Layer<DecoderState, DecoderState> {
  const h = config.n_embd;
  const heads = config.n_head;
  const d = h / heads;
  const std = config.initializer_range;
  const residualStd = std / Math.sqrt(2 * config.n_layer);
  const act = activation(config.activation_function);
  let scale = config.scale_attn_weights ? 1 / Math.sqrt(d) : 1;
  if (config.scale_attn_by_inverse_layer_idx) scale /= index + 1;
  const attn = block('Gpt2.attention', { c_attn: conv1d('Gpt2.c_attn', h, 3 * h, std), c_proj: conv1d('Gpt2.c_proj', h, h, residualStd) }, (call, x: DecoderState, options) =>
    nx.scope(() => {
      const qkv = call<Tensor, Tensor>('c_attn', x.hidden);
      const [q, k, v] = nx.split(qkv, 3, -1).map((t) => splitHeads(t, heads, d)) as [Tensor, Tensor, Tensor];
      const rate = options.training ? config.attn_pdrop : 0;
      const { out, cache } = attend(q, k, v, { mask: x.mask, past: x.past?.[index], scale, dropout: rate, key: siteKey(options.key, 0) });
      const y = dropout(call<Tensor, Tensor>('c_proj', out), config.resid_pdrop, options.training, siteKey(options.key, 1), 'Gpt2.attention');
      return { y, cache };
    }),
  );
  const mlp = block('Gpt2.mlp', { c_fc: conv1d('Gpt2.c_fc', h, innerSize(config), std), c_proj: conv1d('Gpt2.c_proj', innerSize(config), h, residualStd) }, (call, x: Tensor, options) =>
    nx.scope(() => dropout(call<Tensor, Tensor>('c_proj', act(call<Tensor, Tensor>('c_fc', x))), config.resid_pdrop, options.training, siteKey(options.key, 0), 'Gpt2.mlp')),
  );
  const ln = (): Layer.Layer => Layer.layerNorm({ dim: h, eps: config.layer_norm_epsilon });
  return block<DecoderState, DecoderState>('Gpt2.block', { ln_1: ln(), attn, ln_2: ln(), mlp }, (call, x) =>
    nx.scope(() => {
      const a = call<DecoderState, { y: Tensor; cache: DecoderState['present'][number] }>('attn', { ...x, hidden: call<Tensor, Tensor>('ln_1', x.hidden) });
      const mid = nx.add(a.y, x.hidden);
      const hidden = nx.add(call<Tensor, Tensor>('mlp', call<Tensor, Tensor>('ln_2', mid)), mid);
      return { ...x, hidden, present: [...x.present, a.cache] };
    }),
  );
}

/** GPT2Model (`transformer`): embeddings, blocks, final LayerNorm. @internal */
function gpt2Model(config: Gpt2Config): Layer.Layer<BaseInput, BaseOutput> {
  const h = config.n_embd;
  const std = config.initializer_range;
  const blocks = Array.from({ length: config.n_layer }, (_, i) => gpt2Block(config, i));
  return block<BaseInput, BaseOutput>(
    'Gpt2.model',
    {
      wte: Layer.embedding({ numEmbeddings: config.vocab_size, embeddingDim: h, weightInit: embeddingInit(std) }),
      wpe: Layer.embedding({ numEmbeddings: config.n_positions, embeddingDim: h, weightInit: embeddingInit(std) }),
      h: stack('Gpt2.h', blocks),
      ln_f: Layer.layerNorm({ dim: h, eps: config.layer_norm_epsilon }),
    },
    (call, x, options) =>
      nx.scope(() => {
        const emb = nx.add(call<Tensor, Tensor>('wte', x.inputIds), call<Tensor, Tensor>('wpe', x.positions));
        const hidden = dropout(emb, config.embd_pdrop, options.training, siteKey(options.key, 0), 'Gpt2.model');
        const st = call<DecoderState, DecoderState>('h', { hidden, mask: x.mask, past: x.past, present: [] });
        return { hidden: call<Tensor, Tensor>('ln_f', st.hidden), present: st.present };
      }),
  );
}

/**
 * GPT2LMHeadModel (transformers' `GPT2LMHeadModel`) from a configuration.
 *
 * - Input `CausalLM.CausalLMInputs` (`inputIds`, `attentionMask?`, `positionIds?`, `cache?`,
 *   `useCache?`, `logitsToKeep?`); output `{logits [B, L, vocab], cache?}`.
 * - Params (the Hugging Face keys): `transformer.wte.weight [vocab, H]`,
 *   `transformer.wpe.weight [n_positions, H]`, `transformer.h.{i}.ln_1.{weight,bias}`,
 *   `transformer.h.{i}.attn.c_attn.{weight [H, 3H], bias}`, `transformer.h.{i}.attn.c_proj`,
 *   `transformer.h.{i}.ln_2`, `transformer.h.{i}.mlp.c_fc.{weight [H, inner]}`,
 *   `transformer.h.{i}.mlp.c_proj`, `transformer.ln_f`; `lm_head.weight [vocab, H]` only when
 *   `tie_word_embeddings` is false (else the head is `wte`).
 * - `init` draws weights as transformers does: `N(0, initializer_range^2)`, the residual
 *   projections (`c_proj`) with `initializer_range / sqrt(2 n_layer)`, biases 0, LayerNorm 1/0.
 *   Dropout (`embd_pdrop`, `attn_pdrop`, `resid_pdrop`) is active with `{training: true, key}`.
 * @param config - a configuration from {@link parseConfig}.
 * @param generation - generation defaults; default: from the config's token ids.
 * @throws LayerError (at apply) for inputs that are not int32 `[B, L]`, longer than `n_positions`, or a mismatched cache or mask.
 * @example
 * ```ts
 * const model = Gpt2.gpt2LMHeadModel(Gpt2.parseConfig({ n_embd: 64, n_layer: 2, n_head: 4, n_positions: 128, vocab_size: 512 }));
 * const vars = model.init({ key: nx.random.key(0) });
 * const { y } = model.apply(vars, { inputIds: nx.fromArray([[1, 2, 3]], { dtype: 'int32' }) });
 * y.logits.shape; // [1, 3, 512]
 * ```
 */
export function gpt2LMHeadModel(config: Gpt2Config, generation?: GenerationDefaults): Gpt2LMHeadModel {
  const ids = { bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id, pad_token_id: config.pad_token_id };
  const gen = generation ?? generationDefaults(ids, config.vocab_size);
  return causalLM<Gpt2Config>({
    where: 'Gpt2.gpt2LMHeadModel',
    config,
    modelType: 'gpt2',
    numLayers: config.n_layer,
    maxPositions: config.n_positions,
    generation: gen,
    hf: {
      architecture: 'GPT2LMHeadModel',
      paramSpecs: () => paramSpecs(config),
      configJson: () => configToJson(config),
      generationConfigJson: () => generationConfigJson(gen, ids),
    },
    base: [BASE_PREFIX.slice(0, -1), gpt2Model(config)],
    head: config.tie_word_embeddings ? undefined : hfLinear(config.initializer_range, config.n_embd, config.vocab_size, false),
    embeddings: (params) => ((params['transformer'] as Record<string, Ptree.Tree>)['wte'] as Record<string, Tensor>)['weight']!,
  });
}
