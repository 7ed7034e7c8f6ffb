/**
 * GPT-2 as a `CausalLM.fromPretrained` family. Internal.
 * @module
 */
import { Init } from '@raven/kaun';
import type { CausalLMFamily } from '../causal-lm/family.js';
import { type Gpt2Config, parseConfig } from './config.js';
import { type Gpt2Init, keyRules, paramSpecs } from './keys.js';
import { gpt2LMHeadModel } from './model.js';

/** GPT-2 (`model_type` `gpt2`). @internal */
export const gpt2Family: CausalLMFamily<Gpt2Config> = {
  name: 'GPT-2',
  modelTypes: ['gpt2'],
  architecture: 'GPT2LMHeadModel',
  parseConfig: (json, overrides) => parseConfig(json, overrides as Partial<Gpt2Config>),
  tokens: (c) => ({ vocabSize: c.vocab_size, ids: { bos_token_id: c.bos_token_id, eos_token_id: c.eos_token_id, pad_token_id: c.pad_token_id } }),
  build: (c, generation) => gpt2LMHeadModel(c, generation),
  weights: (c) => ({
    specs: paramSpecs(c),
    rules: keyRules(c),
    optional: new Set(c.tie_word_embeddings ? [] : ['lm_head.weight']),
    fresh: (spec, key) => {
      const std = c.initializer_range;
      switch (spec.init as Gpt2Init) {
        case 'zeros': return Init.zeros(key, spec.shape);
        case 'ones': return Init.ones(key, spec.shape);
        case 'residual': return Init.normal({ std: std / Math.sqrt(2 * c.n_layer) })(key, spec.shape);
        default: return Init.normal({ std })(key, spec.shape);
      }
    },
  }),
};
