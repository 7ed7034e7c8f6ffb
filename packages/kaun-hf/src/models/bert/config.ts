/**
 * BERT configuration: `config.json` as Hugging Face transformers writes it, parsed with
 * transformers' `BertConfig` defaults and validated.
 * @module
 */
import { checkOptions, type OptionKeys } from '@raven/nx/options';
import { ConfigReader, extraKeys, mergeOverrides } from '../../pretrained/config-reader.js';
import { HIDDEN_ACTS, type HiddenAct } from '../common/ops.js';

export { HIDDEN_ACTS, type HiddenAct };

/** How a sequence classifier turns logits and labels into a loss (transformers' `problem_type`). */
export type ProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

/**
 * A BERT configuration, with transformers' key names so it reads like `config.json`.
 * Every field is filled in (defaults as transformers' `BertConfig`); keys we do not use are kept
 * in {@link BertConfig.extra} and written back by {@link configToJson}.
 */
export interface BertConfig {
  /** Always `'bert'`. */
  model_type: 'bert';
  /** The architectures a checkpoint was saved from, e.g. `['BertForSequenceClassification']`. Default `[]`. */
  architectures: string[];
  /** Vocabulary size. Default 30522. */
  vocab_size: number;
  /** Hidden size. Default 768. */
  hidden_size: number;
  /** Number of encoder layers. Default 12. */
  num_hidden_layers: number;
  /** Attention heads per layer; must divide `hidden_size`. Default 12. */
  num_attention_heads: number;
  /** Feed-forward inner size. Default 3072. */
  intermediate_size: number;
  /** Feed-forward activation. Default `'gelu'` (exact, erf). */
  hidden_act: HiddenAct;
  /** Dropout on embeddings and sublayer outputs. Default 0.1. */
  hidden_dropout_prob: number;
  /** Dropout on attention probabilities. Default 0.1. */
  attention_probs_dropout_prob: number;
  /** Longest sequence (position embeddings). Default 512. */
  max_position_embeddings: number;
  /** Number of token types (segments). Default 2. */
  type_vocab_size: number;
  /** Standard deviation of the normal initialisation of weights. Default 0.02. */
  initializer_range: number;
  /** LayerNorm epsilon. Default 1e-12. */
  layer_norm_eps: number;
  /** Padding token id (its word-embedding row starts at zero). Default 0. */
  pad_token_id: number;
  /** Only `'absolute'` is supported. Default `'absolute'`. */
  position_embedding_type: 'absolute';
  /** Dropout before the classifier; `null` means `hidden_dropout_prob`. Default `null`. */
  classifier_dropout: number | null;
  /** Number of classifier outputs. Default 2 (from `id2label` when given). */
  num_labels: number;
  /** Label names by class index. Default `LABEL_0`, `LABEL_1`, ... */
  id2label: Record<number, string>;
  /** Class index by label name (inverse of `id2label`). */
  label2id: Record<string, number>;
  /** How the loss is chosen; `null` picks it from `num_labels` and the labels' dtype. Default `null`. */
  problem_type: ProblemType | null;
  /** Any other keys of `config.json`, kept so a save writes them back. */
  extra: Record<string, unknown>;
}

/** The keys of {@link BertConfig}, for checking overrides. @internal */
export const BERT_CONFIG_KEYS: OptionKeys<BertConfig> = {
  model_type: true, architectures: true, vocab_size: true, hidden_size: true, num_hidden_layers: true, num_attention_heads: true,
  intermediate_size: true, hidden_act: true, hidden_dropout_prob: true, attention_probs_dropout_prob: true, max_position_embeddings: true,
  type_vocab_size: true, initializer_range: true, layer_norm_eps: true, pad_token_id: true, position_embedding_type: true,
  classifier_dropout: true, num_labels: true, id2label: true, label2id: true, problem_type: true, extra: true,
};

/** transformers' `BertConfig` defaults (bert-base-uncased's shape). */
const DEFAULTS = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
} as const;

const KNOWN = new Set<string>([
  ...Object.keys(DEFAULTS), 'model_type', 'architectures', 'position_embedding_type', 'classifier_dropout',
  'num_labels', 'id2label', 'label2id', 'problem_type',
]);

const PROBLEM_TYPES: readonly ProblemType[] = ['regression', 'single_label_classification', 'multi_label_classification'];

function parseLabels(r: ConfigReader): Pick<BertConfig, 'num_labels' | 'id2label' | 'label2id'> {
  const json = r.json;
  let id2label: Record<number, string> | undefined;
  if (json['id2label'] !== undefined && json['id2label'] !== null) {
    const raw = json['id2label'];
    if (typeof raw !== 'object' || Array.isArray(raw)) r.fail(`id2label must be an object {"0": "name", ...}, got ${JSON.stringify(raw)}`);
    id2label = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || typeof v !== 'string') r.fail(`id2label entries must map an index to a name, got ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
      id2label[i] = v;
    }
  }
  // as transformers' PretrainedConfig: a label map wins over num_labels
  const numLabels = id2label ? Object.keys(id2label).length : (json['num_labels'] ?? 2);
  if (typeof numLabels !== 'number' || !Number.isInteger(numLabels) || numLabels <= 0) r.fail(`num_labels must be a positive integer, got ${JSON.stringify(numLabels)}`);
  if (!id2label) id2label = Object.fromEntries(Array.from({ length: numLabels }, (_, i) => [i, `LABEL_${i}`]));
  for (let i = 0; i < numLabels; i++) if (id2label[i] === undefined) r.fail(`id2label must name every class 0..${numLabels - 1}; class ${i} is missing`);
  const label2id: Record<string, number> = {};
  for (let i = 0; i < numLabels; i++) label2id[id2label[i]!] = i;
  return { num_labels: numLabels, id2label, label2id };
}

/**
 * Parses and validates a BERT `config.json` (as an object), filling in transformers' defaults.
 * @param json - the parsed `config.json`; unknown keys are kept in `extra`.
 * @param overrides - fields that replace the file's (e.g. `{num_labels: 3}` or
 *   `{id2label: {0: 'ham', 1: 'spam'}}`); label fields are re-derived from what is given.
 * @returns the full configuration.
 * @throws ModelLoadError for a `model_type` other than `bert`, an unknown `hidden_act`, a
 *   `position_embedding_type` other than `absolute`, heads not dividing the hidden size, or a
 *   value of the wrong type or range; the message names the key and what came.
 * @example
 * ```ts
 * const config = Bert.parseConfig({ hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 512 });
 * config.vocab_size; // 30522
 * ```
 */
export function parseConfig(json: Record<string, unknown>, overrides: Partial<BertConfig> = {}): BertConfig {
  checkOptions('Bert.parseConfig: overrides', overrides, BERT_CONFIG_KEYS);
  const merged = mergeOverrides('Bert.parseConfig', json, overrides);
  if (overrides.num_labels !== undefined && overrides.id2label === undefined) delete merged['id2label'];
  if (overrides.id2label !== undefined && overrides.num_labels === undefined) delete merged['num_labels'];
  const r: ConfigReader = new ConfigReader('Bert.parseConfig', merged);
  const modelType = merged['model_type'] ?? 'bert';
  if (modelType !== 'bert') r.fail(`model_type is ${JSON.stringify(modelType)}; only "bert" configs can be loaded as BERT`);
  const act = r.oneOf('hidden_act', HIDDEN_ACTS, DEFAULTS.hidden_act);
  const pos = merged['position_embedding_type'] ?? 'absolute';
  if (pos !== 'absolute') r.fail(`position_embedding_type ${JSON.stringify(pos)} is not supported; only "absolute" position embeddings are implemented`);
  const problem = merged['problem_type'] ?? null;
  if (problem !== null && !(PROBLEM_TYPES as readonly unknown[]).includes(problem)) r.fail(`problem_type must be one of ${PROBLEM_TYPES.join(', ')} or null, got ${JSON.stringify(problem)}`);
  const archs = r.names('architectures');
  const padId = merged['pad_token_id'] ?? DEFAULTS.pad_token_id;
  if (padId !== null && (typeof padId !== 'number' || !Number.isInteger(padId) || padId < 0)) r.fail(`pad_token_id must be a non-negative integer, got ${JSON.stringify(padId)}`);
  const int = (key: keyof typeof DEFAULTS & string): number => r.positiveInt(key, DEFAULTS[key] as number);
  const config: BertConfig = {
    model_type: 'bert',
    architectures: archs,
    vocab_size: int('vocab_size'),
    hidden_size: int('hidden_size'),
    num_hidden_layers: int('num_hidden_layers'),
    num_attention_heads: int('num_attention_heads'),
    intermediate_size: int('intermediate_size'),
    hidden_act: act,
    hidden_dropout_prob: r.probability('hidden_dropout_prob', DEFAULTS.hidden_dropout_prob)!,
    attention_probs_dropout_prob: r.probability('attention_probs_dropout_prob', DEFAULTS.attention_probs_dropout_prob)!,
    max_position_embeddings: int('max_position_embeddings'),
    type_vocab_size: int('type_vocab_size'),
    initializer_range: r.positiveNumber('initializer_range', DEFAULTS.initializer_range),
    layer_norm_eps: r.positiveNumber('layer_norm_eps', DEFAULTS.layer_norm_eps),
    pad_token_id: (padId as number | null) ?? 0,
    position_embedding_type: 'absolute',
    classifier_dropout: r.probability('classifier_dropout', null),
    ...parseLabels(r),
    problem_type: problem as ProblemType | null,
    extra: extraKeys(json, KNOWN, overrides.extra),
  };
  if (config.hidden_size % config.num_attention_heads !== 0) {
    r.fail(`hidden_size ${config.hidden_size} is not a multiple of num_attention_heads ${config.num_attention_heads}`);
  }
  if (config.pad_token_id >= config.vocab_size) r.fail(`pad_token_id ${config.pad_token_id} is outside the vocabulary (vocab_size ${config.vocab_size})`);
  return config;
}

/**
 * The configuration as transformers writes `config.json`: every field, `id2label` keys as
 * strings, `extra` keys merged back in.
 * @param config - the configuration.
 * @param architecture - when given, `architectures` becomes `[architecture]`.
 * @returns a JSON-ready object.
 */
export function configToJson(config: BertConfig, architecture?: string): Record<string, unknown> {
  const { extra, id2label, ...rest } = config;
  const out: Record<string, unknown> = { ...extra, ...rest };
  if (architecture !== undefined) out['architectures'] = [architecture];
  out['id2label'] = Object.fromEntries(Object.entries(id2label).map(([k, v]) => [String(k), v]));
  delete out['torch_dtype'];
  out['torch_dtype'] = 'float32';
  return out;
}
