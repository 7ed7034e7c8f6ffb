/**
 * GPT-2 in Hugging Face format: the configuration and GPT2LMHeadModel as a kaun layer whose
 * parameter paths are the Hugging Face key names. Load checkpoints with `CausalLM.fromPretrained`
 * (it picks GPT-2 from `config.json`), save them with `savePretrained`.
 *
 * @example
 * ```ts
 * import * as nx from '@raven/nx';
 * import { Gpt2 } from '@raven/kaun-hf';
 * const model = Gpt2.gpt2LMHeadModel(Gpt2.parseConfig({ n_embd: 64, n_layer: 2, n_head: 4, n_positions: 128, vocab_size: 512 }));
 * const vars = model.init({ key: nx.random.key(0) });
 * ```
 * @module
 */
export { type Gpt2Config, parseConfig, configToJson } from './config.js';
export { type Gpt2Init, paramSpecs } from './keys.js';
export { type Gpt2LMHeadModel, gpt2LMHeadModel } from './model.js';
