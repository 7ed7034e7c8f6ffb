/**
 * BERT parameter names and shapes (the Hugging Face key names, which are also our Ptree paths),
 * and the rules that map checkpoint keys onto them (the shared machinery's `KeyRules`):
 * legacy `gamma`/`beta`, a `bert.` prefix present or absent, buffers the model does not use.
 * @module
 */
import type { KeyRules } from '../../pretrained/keys.js';
import type { ParamSpec as GenericParamSpec } from '../../pretrained/model.js';
import type { BertConfig } from './config.js';

/** The model classes this package builds, by their transformers names. */
export type Architecture = 'BertModel' | 'BertForSequenceClassification';

/** The architectures {@link Architecture} allows. */
export const ARCHITECTURES: readonly Architecture[] = ['BertModel', 'BertForSequenceClassification'];

/** The prefix under which a task model keeps its base model (transformers' `base_model_prefix`). */
export const BASE_PREFIX = 'bert.';

/** How a parameter starts when initialised fresh (as transformers' `_init_weights`). */
export type InitKind = 'normal' | 'zeros' | 'ones' | 'embedding';

/** One BERT parameter: its path (HF key, e.g. `encoder.layer.0.attention.self.query.weight`), shape and initialisation. */
export type ParamSpec = GenericParamSpec<InitKind>;

function linear(prefix: string, inF: number, outF: number): ParamSpec[] {
  return [
    { path: `${prefix}.weight`, shape: [outF, inF], init: 'normal' },
    { path: `${prefix}.bias`, shape: [outF], init: 'zeros' },
  ];
}

function layerNorm(prefix: string, n: number): ParamSpec[] {
  return [
    { path: `${prefix}.weight`, shape: [n], init: 'ones' },
    { path: `${prefix}.bias`, shape: [n], init: 'zeros' },
  ];
}

/**
 * The parameters of BertModel (without prefix) in the order transformers lists them.
 * @param config - the configuration.
 * @param addPoolingLayer - whether the pooler is part of the model.
 */
export function baseParamSpecs(config: BertConfig, addPoolingLayer = true): ParamSpec[] {
  const h = config.hidden_size;
  const out: ParamSpec[] = [
    { path: 'embeddings.word_embeddings.weight', shape: [config.vocab_size, h], init: 'embedding' },
    { path: 'embeddings.position_embeddings.weight', shape: [config.max_position_embeddings, h], init: 'normal' },
    { path: 'embeddings.token_type_embeddings.weight', shape: [config.type_vocab_size, h], init: 'normal' },
    ...layerNorm('embeddings.LayerNorm', h),
  ];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}`;
    out.push(
      ...linear(`${p}.attention.self.query`, h, h),
      ...linear(`${p}.attention.self.key`, h, h),
      ...linear(`${p}.attention.self.value`, h, h),
      ...linear(`${p}.attention.output.dense`, h, h),
      ...layerNorm(`${p}.attention.output.LayerNorm`, h),
      ...linear(`${p}.intermediate.dense`, h, config.intermediate_size),
      ...linear(`${p}.output.dense`, config.intermediate_size, h),
      ...layerNorm(`${p}.output.LayerNorm`, h),
    );
  }
  if (addPoolingLayer) out.push(...linear('pooler.dense', h, h));
  return out;
}

/** The parameters of the task head of `architecture` (empty for BertModel). */
export function headParamSpecs(config: BertConfig, architecture: Architecture): ParamSpec[] {
  if (architecture === 'BertModel') return [];
  return linear('classifier', config.hidden_size, config.num_labels);
}

/**
 * Every parameter of `architecture`, with its full path: BertModel's keys bare, a task model's
 * base keys under `bert.` followed by its head.
 */
export function paramSpecs(config: BertConfig, architecture: Architecture, addPoolingLayer = true): ParamSpec[] {
  const base = baseParamSpecs(config, addPoolingLayer);
  if (architecture === 'BertModel') return base;
  return [...base.map((s) => ({ ...s, path: BASE_PREFIX + s.path })), ...headParamSpecs(config, architecture)];
}

/** Renames legacy TF-era LayerNorm names: a last component `gamma` becomes `weight`, `beta` becomes `bias`. */
export function renameLegacy(key: string): string {
  if (key.endsWith('.gamma')) return key.slice(0, -'gamma'.length) + 'weight';
  if (key.endsWith('.beta')) return key.slice(0, -'beta'.length) + 'bias';
  return key;
}

/** Keys a BERT checkpoint may carry that no model uses and that need no mention (buffers). */
export function isIgnoredBuffer(key: string): boolean {
  return /(^|\.)embeddings\.position_ids$/.test(key);
}

/**
 * How BERT checkpoint keys map onto the model's paths, as transformers does: legacy names
 * renamed, a `bert.` prefix added when the model has one and the checkpoint does not (a
 * BertModel checkpoint into a task model), stripped in the opposite case; `position_ids` ignored.
 * @param architecture - the model's architecture (whether its base keys carry `bert.`).
 */
export function keyRules(architecture: Architecture): KeyRules {
  return { basePrefix: BASE_PREFIX, prefixed: architecture !== 'BertModel', rename: renameLegacy, ignore: isIgnoredBuffer };
}
