/**
 * `fromPretrained`: a BERT model, its variables, configuration and tokenizer from a Hub
 * repository, an `hf://` address or a local folder in Hugging Face layout.
 * @module
 */
import * as nx from '@raven/nx';
import type { Layer } from '@raven/kaun';
import { ModelLoadError } from '../../errors.js';
import { type HubOptions, loadWeights } from '../../hub/index.js';
import { loadTokenizer } from '../../pretrained/tokenizer.js';
import { openPretrained } from '../../pretrained/load.js';
import { HUB_OPTION_KEYS } from '../../pretrained/source.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { type SequenceClassificationInputs, type SequenceClassifierOutput, bertForSequenceClassification } from './classification.js';
import { BERT_CONFIG_KEYS, type BertConfig, type ProblemType, parseConfig } from './config.js';
import { ARCHITECTURES, type Architecture } from './keys.js';
import { type BertInputs, type BertLayer, type BertModelOutput, bertModel } from './model.js';
import { type LoadReport, type Logger, varsFromWeights } from './weights.js';

/** Options of {@link fromPretrained}: the Hub options (revision, token, cacheDir, offline, endpoint, ...) and these. */
export interface FromPretrainedOptions extends HubOptions {
  /** Which model to build. Default `'BertForSequenceClassification'`. */
  architecture?: Architecture;
  /** Number of classifier outputs; replaces the config's (and its label names). Default: the config's. */
  numLabels?: number;
  /** Label names by class index; replaces the config's (and sets `num_labels`). */
  id2label?: Record<number, string>;
  /** Loss selection of the classifier; replaces the config's `problem_type`. */
  problemType?: ProblemType;
  /** Any other config fields to replace (e.g. `{hidden_dropout_prob: 0}`). */
  config?: Partial<BertConfig>;
  /** BertModel only: build the pooler. Default true. */
  addPoolingLayer?: boolean;
  /** Start weights whose checkpoint shape differs fresh instead of failing (a head with another `num_labels`). Default false. */
  ignoreMismatchedSizes?: boolean;
  /** Key for weights initialised fresh (a new classifier). Default `nx.random.key(0)`. */
  key?: nx.random.Key;
  /** Receives the load warnings (fresh or unused weights); `false` silences them. Default `console`. */
  logger?: Logger | false;
  /** Load the tokenizer when the source has `tokenizer.json` or `vocab.txt`. Default true. */
  tokenizer?: boolean;
}

const FROM_PRETRAINED_KEYS: nx.OptionKeys<FromPretrainedOptions> = {
  ...HUB_OPTION_KEYS, architecture: true, numLabels: true, id2label: true, problemType: true, config: true, addPoolingLayer: true,
  ignoreMismatchedSizes: true, key: true, logger: true, tokenizer: true,
};

/** What {@link fromPretrained} returns. */
export interface Pretrained<L> {
  /** The model, a kaun layer (it carries `config` and `architecture`). */
  model: L;
  /** Its variables (params with Hugging Face key names; no state). */
  vars: Layer.Vars;
  /** The configuration, with the overrides applied. */
  config: BertConfig;
  /** The tokenizer, when the source has `tokenizer.json` or `vocab.txt` (and `tokenizer` was not false). */
  tokenizer?: Tokenizer;
  /** Keys initialised fresh, unused or mismatched. */
  report: LoadReport;
}

/** The classifier kind {@link fromPretrained} returns by default. */
export type SequenceClassifier = BertLayer<SequenceClassificationInputs, SequenceClassifierOutput>;
/** The base model kind {@link fromPretrained} returns for `architecture: 'BertModel'`. */
export type BaseModel = BertLayer<BertInputs, BertModelOutput>;

/**
 * Loads a pretrained BERT: `config.json`, the safetensors weights (sharded or not, F32/F16/BF16
 * cast to float32) and, when present, the tokenizer.
 *
 * `source` is a Hub model id (`google-bert/bert-base-uncased`, downloaded through the cache with
 * the Hub options), `hf://org/name`, or a local folder in Hugging Face layout. Keys are matched
 * as transformers does (see {@link varsFromWeights}): legacy `gamma`/`beta` names, a `bert.`
 * prefix present or not, pretraining heads (`cls.*`) and `position_ids` ignored. A checkpoint
 * without a classifier (a base or masked-LM model) loaded as `BertForSequenceClassification`
 * gets a fresh classifier, and a warning says so.
 * @param source - Hub id, `hf://org/name`, or folder.
 * @param options - see {@link FromPretrainedOptions}.
 * @returns `{model, vars, config, tokenizer?, report}`.
 * @throws ModelLoadError for a config that is not BERT's, missing weights (listed), a shape that
 *   does not fit; the Hub client's errors (`RepositoryNotFoundError`, `OfflineError`, ...) pass through.
 * @example
 * ```ts
 * const { model, vars, tokenizer } = await Bert.fromPretrained('google-bert/bert-base-uncased', { numLabels: 2 });
 * const batch = tokenizer!.encodeBatch(['free money!!!', 'lunch at noon?'], { maxLength: 128 });
 * const { y } = model.apply(vars, batch);
 * y.logits.shape; // [2, 2]
 * ```
 */
export async function fromPretrained(source: string, options: FromPretrainedOptions & { architecture: 'BertModel' }): Promise<Pretrained<BaseModel>>;
export async function fromPretrained(source: string, options?: FromPretrainedOptions & { architecture?: 'BertForSequenceClassification' }): Promise<Pretrained<SequenceClassifier>>;
export async function fromPretrained(source: string, options?: FromPretrainedOptions): Promise<Pretrained<BaseModel | SequenceClassifier>>;
export async function fromPretrained(source: string, options: FromPretrainedOptions = {}): Promise<Pretrained<BaseModel | SequenceClassifier>> {
  nx.checkOptions('Bert.fromPretrained', options, FROM_PRETRAINED_KEYS);
  nx.checkOptions('Bert.fromPretrained: config', options.config, BERT_CONFIG_KEYS);
  const architecture = options.architecture ?? 'BertForSequenceClassification';
  if (!ARCHITECTURES.includes(architecture)) {
    throw new ModelLoadError(`Bert.fromPretrained: architecture must be one of ${ARCHITECTURES.join(', ')}, got ${JSON.stringify(architecture)}`);
  }
  const { modelId, hub, config: json } = await openPretrained('Bert.fromPretrained', source, options, { generationConfig: false });
  const config = parseConfig(json, {
    ...options.config,
    ...(options.numLabels !== undefined ? { num_labels: options.numLabels } : {}),
    ...(options.id2label !== undefined ? { id2label: options.id2label } : {}),
    ...(options.problemType !== undefined ? { problem_type: options.problemType } : {}),
  });
  const tokenizer = options.tokenizer === false ? undefined : await loadTokenizer(modelId, hub);
  const addPoolingLayer = architecture === 'BertModel' ? (options.addPoolingLayer ?? true) : true;
  const entries = await loadWeights(modelId, hub);
  const { vars, report } = varsFromWeights(entries, config, architecture, {
    source: modelId, addPoolingLayer, ignoreMismatchedSizes: options.ignoreMismatchedSizes, key: options.key, logger: options.logger,
  });
  const model = architecture === 'BertModel' ? bertModel(config, { addPoolingLayer }) : bertForSequenceClassification(config);
  const out: Pretrained<BaseModel | SequenceClassifier> = { model, vars, config, report };
  if (tokenizer !== undefined) out.tokenizer = tokenizer;
  return out;
}
