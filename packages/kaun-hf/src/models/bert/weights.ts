/**
 * Turning checkpoint tensors into a BERT model's variables, through the shared machinery: keys
 * matched (legacy names, `bert.` prefix), shapes and dtypes checked, a missing task head
 * initialised fresh and reported.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Init, type Layer } from '@raven/kaun';
import { embeddingInit } from '../common/init.js';
import type { LoadReport } from '../../pretrained/report.js';
import { type VarsFromWeightsOptions as SharedOptions, varsFromWeights as sharedVarsFromWeights } from '../../pretrained/weights.js';
import type { BertConfig } from './config.js';
import { type Architecture, type ParamSpec, headParamSpecs, keyRules, paramSpecs } from './keys.js';

export type { Logger, LoadReport } from '../../pretrained/report.js';

/** Options of {@link varsFromWeights}. */
export interface VarsFromWeightsOptions extends SharedOptions {
  /** Whether the base model has its pooler. Default true. */
  addPoolingLayer?: boolean;
}

const VARS_FROM_WEIGHTS_KEYS: nx.OptionKeys<VarsFromWeightsOptions> = { source: true, key: true, addPoolingLayer: true, ignoreMismatchedSizes: true, logger: true };

/** A fresh parameter as transformers' `_init_weights` makes it. @internal */
export function freshParam(config: BertConfig, spec: ParamSpec, key: nx.random.Key): Tensor {
  const std = config.initializer_range;
  switch (spec.init) {
    case 'zeros': return Init.zeros(key, spec.shape);
    case 'ones': return Init.ones(key, spec.shape);
    case 'normal': return Init.normal({ std })(key, spec.shape);
    case 'embedding': return embeddingInit(std, config.pad_token_id)(key, spec.shape);
  }
}

/**
 * Builds the variables of `architecture` from checkpoint tensors (Hugging Face key names).
 *
 * - Legacy LayerNorm names (`gamma`, `beta`) are renamed; a checkpoint of the base model
 *   (no `bert.` prefix) loads into a task model and a task model's checkpoint into BertModel.
 * - Keys the model does not use (`cls.*` pretraining heads, another task's head) are ignored
 *   and reported; `embeddings.position_ids` silently.
 * - A missing task head (`classifier.*`) is initialised fresh (`N(0, initializer_range^2)`,
 *   bias 0) and reported, as transformers' "Some weights ... were newly initialized" warning.
 * - Tensors are taken over (not copied); unused ones are disposed. On error all are disposed.
 * @param entries - `[key, tensor]` pairs (as `loadWeights` returns them); the function owns them.
 * @param config - the model's configuration.
 * @param architecture - the model to build.
 * @returns the variables and what happened.
 * @throws ModelLoadError listing the missing keys (outside the head), naming a key whose shape
 *   differs (unless `ignoreMismatchedSizes`) or whose dtype is not floating.
 */
export function varsFromWeights(
  entries: Array<[string, Tensor]>,
  config: BertConfig,
  architecture: Architecture,
  options: VarsFromWeightsOptions = {},
): { vars: Layer.Vars; report: LoadReport } {
  nx.checkOptions('Bert.varsFromWeights', options, VARS_FROM_WEIGHTS_KEYS);
  const { addPoolingLayer, ...shared } = options;
  return sharedVarsFromWeights(entries, {
    where: 'Bert.fromPretrained',
    family: 'BERT',
    architecture,
    specs: paramSpecs(config, architecture, addPoolingLayer ?? true),
    rules: keyRules(architecture),
    optional: new Set(headParamSpecs(config, architecture).map((s) => s.path)),
    fresh: (spec, key) => freshParam(config, spec, key),
  }, shared);
}
