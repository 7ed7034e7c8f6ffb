/**
 * The top of every causal language model: inputs checked, the decoder mask and positions built
 * once, the family's base model run, logits from the head (tied to the token embeddings or
 * not). Families supply the base model and how to find the embeddings. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { type Layer, LayerError, type Ptree } from '@raven/kaun';
import type { HfDescriptor } from '../../pretrained/model.js';
import { block } from '../common/block.js';
import type { GenerationDefaults } from './generation-config.js';
import { decoderMask, positionsOf } from './mask.js';
import type { CausalLM, CausalLMInputs, CausalLMOutput, KVCache, LayerCache } from './types.js';

/** What a family's base model (GPT-2's `transformer`, Llama's `model`) receives. @internal */
export interface BaseInput {
  /** Token ids `int32 [B, L]`. */
  inputIds: Tensor;
  /** Positions `int32 [B | 1, L]`. */
  positions: Tensor;
  /** The decoder mask `[B | 1, 1, L, T + L]`, or undefined. */
  mask: Tensor | undefined;
  /** The cache per layer, or undefined. */
  past: LayerCache[] | undefined;
}

/** What a base model returns. @internal */
export interface BaseOutput {
  /** The final hidden states (after the last norm), `[B, L, H]`. */
  hidden: Tensor;
  /** The cache per layer including these tokens. */
  present: LayerCache[];
}

/** The state threaded through the decoder layers of a base model. @internal */
export interface DecoderState {
  /** Hidden states `[B, L, H]`. */
  hidden: Tensor;
  /** The decoder mask. */
  mask: Tensor | undefined;
  /** Rotary tables `[B | 1, 1, L, headDim]` for RoPE models. */
  rope?: { cos: Tensor; sin: Tensor };
  /** The cache per layer, or undefined. */
  past: LayerCache[] | undefined;
  /** Cache entries of the layers run so far. */
  present: LayerCache[];
}

/** How a family assembles its causal LM. @internal */
export interface CausalLMSpec<C> {
  /** For messages, e.g. `Gpt2.gpt2LMHeadModel`. */
  where: string;
  config: C;
  modelType: string;
  numLayers: number;
  /** Learned positions limit the length; undefined for RoPE. */
  maxPositions: number | undefined;
  generation: GenerationDefaults;
  hf: HfDescriptor;
  /** The base model's name in the params (`transformer`, `model`) and the layer. */
  base: [string, Layer.Layer<BaseInput, BaseOutput>];
  /** An untied head (`lm_head`, a Linear `[vocab, H]` without bias), or undefined when tied. */
  head: Layer.Layer | undefined;
  /** The token embeddings `[vocab, H]` in the params, for a tied head. */
  embeddings: (params: Record<string, Ptree.Tree>) => Tensor;
}

function checkCache(where: string, cache: KVCache | undefined, batch: number, layers: number): number {
  if (cache === undefined) return 0;
  if (cache === null || typeof cache !== 'object' || !Array.isArray(cache.layers) || cache.layers.length !== layers) {
    throw new LayerError(`${where}: cache must be {layers: [...]} with one {key, value} per layer (${layers}), as a previous call with useCache returned`);
  }
  const t = cache.layers[0]!.key.shape[2]!;
  for (const l of cache.layers) {
    if (!nx.isTensor(l.key) || !nx.isTensor(l.value) || l.key.rank !== 4 || l.key.shape[0] !== batch || l.key.shape[2] !== t || l.value.shape[2] !== t) {
      throw new LayerError(`${where}: every cache entry must hold key and value [B = ${batch}, heads, T, headDim] of one length T; pass the cache a previous call returned`);
    }
    if (l.key.isDisposed || l.value.isDisposed) throw new LayerError(`${where}: the cache holds disposed tensors; pass the cache of the latest call (older ones are freed by generate)`);
  }
  return t;
}

/**
 * Builds the causal LM layer of a family: checks the inputs, builds the mask and positions,
 * runs the base model, keeps the last `logitsToKeep` positions and applies the head.
 * @internal
 */
export function causalLM<C>(spec: CausalLMSpec<C>): CausalLM<C> {
  const { where } = spec;
  const children: Record<string, Layer.Layer<any, any>> = { [spec.base[0]]: spec.base[1] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (spec.head !== undefined) children['lm_head'] = spec.head;
  const layer = block<CausalLMInputs, CausalLMOutput>(where, children, (call, x, _options, params) => {
    if (x === null || typeof x !== 'object' || !nx.isTensor(x.inputIds)) {
      throw new LayerError(`${where}: expected inputs {inputIds, attentionMask?, positionIds?, cache?, useCache?, logitsToKeep?} with inputIds int32 [B, L]`);
    }
    const { inputIds } = x;
    if (inputIds.rank !== 2 || inputIds.dtype !== 'int32' || inputIds.shape[1] === 0) {
      throw new LayerError(`${where}: inputIds must be int32 [B, L] with L >= 1, got ${inputIds.dtype} [${inputIds.shape.join(', ')}]`);
    }
    const [b, l] = inputIds.shape as [number, number];
    const past = checkCache(where, x.cache, b, spec.numLayers);
    if (spec.maxPositions !== undefined && past + l > spec.maxPositions) {
      throw new LayerError(`${where}: ${past + l} tokens exceed the ${spec.maxPositions} positions the model has (n_positions); shorten the input or generate fewer tokens`);
    }
    const keep = x.logitsToKeep ?? 0;
    if (!Number.isInteger(keep) || keep < 0) throw new LayerError(`${where}: logitsToKeep must be a non-negative integer, got ${keep}`);
    return nx.scope(() => {
      const mask = decoderMask(where, x.attentionMask, b, l, past);
      const positions = positionsOf(where, x.positionIds, b, l, past);
      const out = call<BaseInput, BaseOutput>(spec.base[0], { inputIds, positions, mask, past: x.cache?.layers });
      const hidden = keep > 0 && keep < l ? nx.slice(out.hidden, [null, [l - keep, null]]) : out.hidden;
      const logits = spec.head !== undefined ? call<Tensor, Tensor>('lm_head', hidden) : nx.linear(hidden, spec.embeddings(params));
      const result: CausalLMOutput = { logits };
      if (x.useCache) result.cache = { layers: out.present };
      return result;
    });
  });
  return {
    ...layer,
    config: spec.config,
    modelType: spec.modelType,
    numLayers: spec.numLayers,
    maxPositions: spec.maxPositions,
    generation: spec.generation,
    hf: spec.hf,
  };
}
