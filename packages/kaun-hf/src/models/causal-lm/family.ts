/**
 * What a causal-LM family registers with `CausalLM.fromPretrained`: the `model_type`s it reads,
 * how to parse its configuration, build its model and map its checkpoint keys. Internal.
 * @module
 */
import type * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import type { KeyRules } from '../../pretrained/keys.js';
import type { ParamSpec } from '../../pretrained/model.js';
import type { ConfigTokenIds, GenerationDefaults } from './generation-config.js';
import type { CausalLM } from './types.js';

/** A family of causal LMs (GPT-2; Llama, Mistral, Qwen2; Gemma). @internal */
export interface CausalLMFamily<C = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The family's name in messages (`GPT-2`). */
  name: string;
  /** The `model_type`s it loads. */
  modelTypes: readonly string[];
  /** The transformers class it builds. */
  architecture: string;
  /** Parses `config.json` with overrides. */
  parseConfig(json: Record<string, unknown>, overrides: Record<string, unknown>): C;
  /** The configuration's vocabulary size and token ids. */
  tokens(config: C): { vocabSize: number; ids: ConfigTokenIds };
  /** Builds the model. */
  build(config: C, generation: GenerationDefaults): CausalLM<C>;
  /** The parameters, key rules and fresh values for loading a checkpoint. */
  weights(config: C): { specs: ParamSpec[]; rules: KeyRules; optional: ReadonlySet<string>; fresh: (spec: ParamSpec, key: nx.random.Key) => Tensor };
}
