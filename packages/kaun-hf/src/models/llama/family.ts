/**
 * The Llama family (Llama, Mistral, Qwen2) as a `CausalLM.fromPretrained` family, and the
 * loading plan Gemma shares. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import { Init } from '@raven/kaun';
import type { ParamSpec } from '../../pretrained/model.js';
import { embeddingInit } from '../common/init.js';
import type { CausalLMFamily } from '../causal-lm/family.js';
import { type DecoderConfig, type LlamaConfig, parseConfig } from './config.js';
import { type DecoderInit, keyRules, paramSpecs } from './keys.js';
import { llamaForCausalLM } from './model.js';

/** The loading plan of a Llama-shaped decoder. @internal */
export function decoderWeights(c: DecoderConfig, normInit: DecoderInit): ReturnType<CausalLMFamily['weights']> {
  return {
    specs: paramSpecs(c, normInit),
    rules: keyRules(c),
    optional: new Set(c.tie_word_embeddings ? [] : ['lm_head.weight']),
    fresh: (spec: ParamSpec, key: nx.random.Key) => {
      switch (spec.init as DecoderInit) {
        case 'zeros': return Init.zeros(key, spec.shape);
        case 'ones': return Init.ones(key, spec.shape);
        case 'embedding': return embeddingInit(c.initializer_range, c.pad_token_id)(key, spec.shape);
        default: return Init.normal({ std: c.initializer_range })(key, spec.shape);
      }
    },
  };
}

/** The token ids of a decoder configuration. @internal */
export function decoderTokens(c: DecoderConfig): ReturnType<CausalLMFamily['tokens']> {
  return { vocabSize: c.vocab_size, ids: { bos_token_id: c.bos_token_id, eos_token_id: c.eos_token_id, pad_token_id: c.pad_token_id } };
}

/** Llama, Mistral, Qwen2. @internal */
export const llamaFamily: CausalLMFamily<LlamaConfig> = {
  name: 'Llama',
  modelTypes: ['llama', 'mistral', 'qwen2'],
  architecture: 'LlamaForCausalLM',
  parseConfig: (json, overrides) => parseConfig(json, overrides as Partial<LlamaConfig>),
  tokens: decoderTokens,
  build: (c, generation) => llamaForCausalLM(c, generation),
  weights: (c) => decoderWeights(c, 'ones'),
};
