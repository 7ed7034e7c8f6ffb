/**
 * Gemma as a `CausalLM.fromPretrained` family. Internal.
 * @module
 */
import type { CausalLMFamily } from '../causal-lm/family.js';
import { decoderTokens, decoderWeights } from '../llama/family.js';
import { type GemmaConfig, parseConfig } from './config.js';
import { gemmaForCausalLM } from './model.js';

/** Gemma (`model_type` `gemma`). @internal */
export const gemmaFamily: CausalLMFamily<GemmaConfig> = {
  name: 'Gemma',
  modelTypes: ['gemma'],
  architecture: 'GemmaForCausalLM',
  parseConfig: (json, overrides) => parseConfig(json, overrides as Partial<GemmaConfig>),
  tokens: decoderTokens,
  build: (c, generation) => gemmaForCausalLM(c, generation),
  weights: (c) => decoderWeights(c, 'zeros'),
};
