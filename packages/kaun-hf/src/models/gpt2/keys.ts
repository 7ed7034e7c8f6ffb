/**
 * GPT-2's parameters (the Hugging Face key names, which are also the Ptree paths) and the rules
 * that map checkpoint keys onto them.
 * @module
 */
import type { KeyRules } from '../../pretrained/keys.js';
import type { ParamSpec } from '../../pretrained/model.js';
import type { Gpt2Config } from './config.js';

/** How a GPT-2 parameter starts fresh: `N(0, std^2)`, the residual projections `N(0, (std / sqrt(2 n_layer))^2)`, zeros, ones. */
export type Gpt2Init = 'normal' | 'residual' | 'zeros' | 'ones';

/** The base model's prefix in GPT2LMHeadModel (transformers' `base_model_prefix`). */
export const BASE_PREFIX = 'transformer.';

/** The inner size of the feed-forward block. @internal */
export const innerSize = (c: Gpt2Config): number => c.n_inner ?? 4 * c.n_embd;

/**
 * Every parameter of GPT2LMHeadModel in transformers' order: `transformer.wte.weight [vocab, H]`,
 * `transformer.wpe.weight [n_positions, H]`, per block `ln_1`, `attn.c_attn` (Conv1D
 * `[H, 3H]`), `attn.c_proj` `[H, H]`, `ln_2`, `mlp.c_fc` `[H, inner]`, `mlp.c_proj` `[inner, H]`,
 * then `transformer.ln_f`; `lm_head.weight [vocab, H]` only when the head is not tied.
 * Conv1D weights are stored `[in, out]`, as GPT-2 stores them.
 */
export function paramSpecs(config: Gpt2Config): ParamSpec<Gpt2Init>[] {
  const h = config.n_embd;
  const inner = innerSize(config);
  const p = BASE_PREFIX;
  const conv = (name: string, inF: number, outF: number, init: Gpt2Init = 'normal'): ParamSpec<Gpt2Init>[] => [
    { path: `${name}.weight`, shape: [inF, outF], init },
    { path: `${name}.bias`, shape: [outF], init: 'zeros' },
  ];
  const ln = (name: string): ParamSpec<Gpt2Init>[] => [
    { path: `${name}.weight`, shape: [h], init: 'ones' },
    { path: `${name}.bias`, shape: [h], init: 'zeros' },
  ];
  const out: ParamSpec<Gpt2Init>[] = [
    { path: `${p}wte.weight`, shape: [config.vocab_size, h], init: 'normal' },
    { path: `${p}wpe.weight`, shape: [config.n_positions, h], init: 'normal' },
  ];
  for (let i = 0; i < config.n_layer; i++) {
    const b = `${p}h.${i}`;
    out.push(
      ...ln(`${b}.ln_1`), ...conv(`${b}.attn.c_attn`, h, 3 * h), ...conv(`${b}.attn.c_proj`, h, h, 'residual'),
      ...ln(`${b}.ln_2`), ...conv(`${b}.mlp.c_fc`, h, inner), ...conv(`${b}.mlp.c_proj`, inner, h, 'residual'),
    );
  }
  out.push(...ln(`${p}ln_f`));
  if (!config.tie_word_embeddings) out.push({ path: 'lm_head.weight', shape: [config.vocab_size, h], init: 'normal' });
  return out;
}

/**
 * GPT-2's key rules: the `transformer.` prefix added to a GPT2Model checkpoint (as OpenAI's
 * `gpt2` repository stores it), the causal-mask buffers (`attn.bias`, `attn.masked_bias`) and a
 * stored copy of a tied head ignored.
 */
export function keyRules(config: Gpt2Config): KeyRules {
  return {
    basePrefix: BASE_PREFIX,
    prefixed: true,
    ignore: (k) => /(^|\.)attn\.(bias|masked_bias)$/.test(k) || (config.tie_word_embeddings && k === 'lm_head.weight'),
  };
}
