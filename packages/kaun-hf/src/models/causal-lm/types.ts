/**
 * What every causal language model takes and returns, the key/value cache of incremental
 * decoding, and the layer type the families build.
 * @module
 */
import type { Tensor } from '@raven/nx';
import type { Layer } from '@raven/kaun';
import type { PretrainedModel } from '../../pretrained/model.js';
import type { GenerationDefaults } from './generation-config.js';

/** The keys and values one attention layer has seen: `[B, Hkv, T, headDim]` each. */
export interface LayerCache {
  /** Keys after RoPE (where the model has it), `[B, Hkv, T, headDim]`. */
  key: Tensor;
  /** Values, `[B, Hkv, T, headDim]`. */
  value: Tensor;
}

/** The key/value cache of a decoder: one entry per layer, all of the same length `T`. */
export interface KVCache {
  /** Per layer, in order. */
  layers: LayerCache[];
}

/** The inputs of a causal language model. */
export interface CausalLMInputs {
  /** Token ids, `int32 [B, L]`. */
  inputIds: Tensor;
  /**
   * 1 for real tokens, 0 for padding, `[B, T + L]` where `T` is the cache length (the mask of
   * everything attended to, as transformers takes it). Default: all ones.
   */
  attentionMask?: Tensor;
  /** Position of each token, `int32 [B, L]`. Default: `T, T + 1, ..., T + L - 1`. */
  positionIds?: Tensor;
  /** Keys and values of the tokens before these (incremental decoding). Default: none. */
  cache?: KVCache;
  /** Return the cache extended with these tokens (`output.cache`). Default false. */
  useCache?: boolean;
  /** Compute logits only for the last `n` positions (generation needs 1); 0 means all. Default 0. */
  logitsToKeep?: number;
}

/** The outputs of a causal language model. */
export interface CausalLMOutput {
  /** Next-token logits, `[B, L, vocab]` (`[B, logitsToKeep, vocab]` when asked). */
  logits: Tensor;
  /** The cache including these tokens, when `useCache` was set. */
  cache?: KVCache;
}

/**
 * A causal language model: a kaun layer from `inputIds` (and mask, positions, cache) to
 * next-token logits, that knows its configuration and carries what `savePretrained` needs.
 */
export interface CausalLM<C = unknown> extends Layer.Layer<CausalLMInputs, CausalLMOutput>, PretrainedModel {
  /** The configuration it was built from (the family's config type). */
  readonly config: C;
  /** transformers' `model_type` (`'gpt2'`, `'llama'`, `'gemma'`, ...). */
  readonly modelType: string;
  /** Number of decoder layers (the cache has one entry per layer). */
  readonly numLayers: number;
  /** The longest sequence the model takes (learned positions), `undefined` when unbounded (RoPE). */
  readonly maxPositions: number | undefined;
  /** Token ids and sampling defaults for generation, from the config and `generation_config.json`. */
  readonly generation: GenerationDefaults;
}
