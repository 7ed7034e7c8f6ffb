/**
 * Configurations of the Llama-shaped decoders: Llama, Mistral (without sliding window) and Qwen2
 * (`LlamaConfig`, `MistralConfig`, `Qwen2Config` as transformers writes them), parsed with their
 * defaults and validated; Gemma's shares the reader. RoPE settings are read from transformers 5's
 * `rope_parameters` or from the older `rope_theta` and `rope_scaling`.
 * @module
 */
import { checkOptions, type OptionKeys } from '@raven/nx/options';
import { ConfigReader, type TokenIds, extraKeys, mergeOverrides } from '../../pretrained/config-reader.js';
import { HIDDEN_ACTS, type HiddenAct } from '../common/ops.js';

/** The RoPE variants implemented: `default`, `linear` (position interpolation) and `llama3`. */
export type RopeType = 'default' | 'linear' | 'llama3';

/** The RoPE variants {@link parseConfig} accepts. */
export const ROPE_TYPES: readonly RopeType[] = ['default', 'linear', 'llama3'];

/** RoPE settings, as transformers 5's `rope_parameters`. */
export interface RopeParameters {
  /** The variant. */
  rope_type: RopeType;
  /** The base of the frequencies. Default 10000. */
  rope_theta: number;
  /** `linear` and `llama3`: the scaling factor. */
  factor?: number;
  /** `llama3`: wavelengths above `original_max_position_embeddings / low_freq_factor` are scaled fully. */
  low_freq_factor?: number;
  /** `llama3`: wavelengths below `original_max_position_embeddings / high_freq_factor` are kept. */
  high_freq_factor?: number;
  /** `llama3`: the context length of pretraining (default `max_position_embeddings`). */
  original_max_position_embeddings?: number;
}

/** The `model_type`s of the Llama family. */
export type LlamaModelType = 'llama' | 'mistral' | 'qwen2';

/** The `model_type`s of Llama-shaped decoders, Gemma included. */
export type DecoderModelType = LlamaModelType | 'gemma';

/** A Llama-family configuration with transformers' key names; keys we do not use are kept in `extra`. */
export interface DecoderConfig<T extends DecoderModelType = DecoderModelType> {
  /** `'llama'`, `'mistral'`, `'qwen2'` (or `'gemma'`). */
  model_type: T;
  /** The architectures the checkpoint was saved from. Default `[]`. */
  architectures: string[];
  /** Vocabulary size. */
  vocab_size: number;
  /** Hidden size. */
  hidden_size: number;
  /** MLP inner size. */
  intermediate_size: number;
  /** Number of decoder layers. */
  num_hidden_layers: number;
  /** Query heads. */
  num_attention_heads: number;
  /** Key/value heads (grouped-query attention; 1 is multi-query). Default `num_attention_heads`. */
  num_key_value_heads: number;
  /** Size of one head. Default `hidden_size / num_attention_heads`. */
  head_dim: number;
  /** MLP activation (`silu` for Llama, `gelu_pytorch_tanh` for Gemma). */
  hidden_act: HiddenAct;
  /** Longest context the model was made for (RoPE itself has no limit). */
  max_position_embeddings: number;
  /** Standard deviation of fresh weights. Default 0.02. */
  initializer_range: number;
  /** RMSNorm epsilon. Default 1e-6. */
  rms_norm_eps: number;
  /** Biases on the attention projections (Llama: q, k, v and o). Qwen2 always has q, k, v biases. Default false. */
  attention_bias: boolean;
  /** Biases on the MLP projections. Default false. */
  mlp_bias: boolean;
  /** Dropout on attention probabilities. Default 0. */
  attention_dropout: number;
  /** The head shares the token embeddings. */
  tie_word_embeddings: boolean;
  /** RoPE settings. */
  rope_parameters: RopeParameters;
  /** Mistral/Qwen2: the attention window; sequences longer than it are refused (sliding windows are not implemented). Null: none. */
  sliding_window: number | null;
  /** Beginning-of-sequence id. */
  bos_token_id: number | null;
  /** End-of-sequence id(s). */
  eos_token_id: TokenIds;
  /** Padding id. */
  pad_token_id: number | null;
  /** Any other keys of `config.json`, kept so a save writes them back. */
  extra: Record<string, unknown>;
}

/** A Llama, Mistral or Qwen2 configuration. */
export type LlamaConfig = DecoderConfig<LlamaModelType>;

/** The keys of {@link DecoderConfig}, for checking overrides. @internal */
export const DECODER_CONFIG_KEYS: OptionKeys<DecoderConfig> = {
  model_type: true, architectures: true, vocab_size: true, hidden_size: true, intermediate_size: true, num_hidden_layers: true,
  num_attention_heads: true, num_key_value_heads: true, head_dim: true, hidden_act: true, max_position_embeddings: true,
  initializer_range: true, rms_norm_eps: true, attention_bias: true, mlp_bias: true, attention_dropout: true, tie_word_embeddings: true,
  rope_parameters: true, sliding_window: true, bos_token_id: true, eos_token_id: true, pad_token_id: true, extra: true,
};

/** A family's defaults (transformers' config class defaults). @internal */
export interface DecoderDefaults {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number | null;
  head_dim: number | null;
  hidden_act: HiddenAct;
  max_position_embeddings: number;
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
  bos_token_id: number | null;
  eos_token_id: number | null;
  pad_token_id: number | null;
  sliding_window: number | null;
}

const LLAMA_DEFAULTS: Record<LlamaModelType, DecoderDefaults> = {
  llama: {
    vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null,
    head_dim: null, hidden_act: 'silu', max_position_embeddings: 2048, rms_norm_eps: 1e-6, tie_word_embeddings: false,
    bos_token_id: 1, eos_token_id: 2, pad_token_id: null, sliding_window: null,
  },
  mistral: {
    vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8,
    head_dim: null, hidden_act: 'silu', max_position_embeddings: 4096 * 32, rms_norm_eps: 1e-6, tie_word_embeddings: false,
    bos_token_id: 1, eos_token_id: 2, pad_token_id: null, sliding_window: 4096,
  },
  qwen2: {
    vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32,
    head_dim: null, hidden_act: 'silu', max_position_embeddings: 32768, rms_norm_eps: 1e-6, tie_word_embeddings: false,
    bos_token_id: null, eos_token_id: null, pad_token_id: null, sliding_window: null,
  },
};

const KNOWN = new Set<string>([
  'model_type', 'architectures', 'vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads',
  'num_key_value_heads', 'head_dim', 'hidden_act', 'hidden_activation', 'max_position_embeddings', 'initializer_range', 'rms_norm_eps',
  'attention_bias', 'mlp_bias', 'attention_dropout', 'tie_word_embeddings', 'rope_parameters', 'rope_scaling', 'rope_theta',
  'sliding_window', 'use_sliding_window', 'bos_token_id', 'eos_token_id', 'pad_token_id', 'dtype', 'torch_dtype',
]);

function positiveFactor(r: ConfigReader, p: Record<string, unknown>, key: string, dflt?: number): number {
  const v = p[key] ?? dflt;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) r.fail(`rope_parameters.${key} must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

/** RoPE settings from `rope_parameters`, or `rope_scaling` plus `rope_theta`. @internal */
function parseRope(r: ConfigReader, maxPositions: number): RopeParameters {
  const given = r.json['rope_parameters'] ?? r.json['rope_scaling'] ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) r.fail(`rope_parameters must be an object, got ${JSON.stringify(given)}`);
  const p = given as Record<string, unknown>;
  const type = p['rope_type'] ?? p['type'] ?? 'default';
  if (typeof type !== 'string' || !(ROPE_TYPES as readonly string[]).includes(type)) {
    r.fail(`RoPE type ${JSON.stringify(type)} is not supported; supported: ${ROPE_TYPES.join(', ')}`);
  }
  const theta = p['rope_theta'] ?? r.json['rope_theta'] ?? 10000;
  if (typeof theta !== 'number' || !(theta > 0)) r.fail(`rope_theta must be a positive number, got ${JSON.stringify(theta)}`);
  const partial = p['partial_rotary_factor'] ?? r.json['partial_rotary_factor'];
  if (partial !== undefined && partial !== null && partial !== 1) r.fail(`partial_rotary_factor ${JSON.stringify(partial)} is not supported by this family (only 1)`);
  const out: RopeParameters = { rope_type: type as RopeType, rope_theta: theta };
  if (type === 'linear' || type === 'llama3') out.factor = positiveFactor(r, p, 'factor');
  if (type === 'llama3') {
    out.low_freq_factor = positiveFactor(r, p, 'low_freq_factor');
    out.high_freq_factor = positiveFactor(r, p, 'high_freq_factor');
    out.original_max_position_embeddings = positiveFactor(r, p, 'original_max_position_embeddings', maxPositions);
    if (out.high_freq_factor <= out.low_freq_factor) r.fail(`rope_parameters.high_freq_factor (${out.high_freq_factor}) must be larger than low_freq_factor (${out.low_freq_factor})`);
  }
  return out;
}

/**
 * Parses a Llama-shaped configuration with a family's defaults. @internal
 * @throws ModelLoadError naming the key for any bad value.
 */
export function parseDecoderConfig<T extends DecoderModelType>(
  where: string,
  json: Record<string, unknown>,
  overrides: Partial<DecoderConfig<T>>,
  modelType: T,
  d: DecoderDefaults,
): DecoderConfig<T> {
  checkOptions(`${where}: overrides`, overrides, DECODER_CONFIG_KEYS);
  const merged = mergeOverrides(where, json, overrides);
  const r: ConfigReader = new ConfigReader(where, merged);
  const vocab = r.positiveInt('vocab_size', d.vocab_size);
  const hidden = r.positiveInt('hidden_size', d.hidden_size);
  const heads = r.positiveInt('num_attention_heads', d.num_attention_heads);
  const maxPositions = r.positiveInt('max_position_embeddings', d.max_position_embeddings);
  // Gemma's configs name the activation `hidden_activation` (and keep `hidden_act` too)
  const act = merged['hidden_activation'] !== undefined && merged['hidden_activation'] !== null ? 'hidden_activation' : 'hidden_act';
  const useWindow = modelType === 'qwen2' ? r.boolean('use_sliding_window', false) : true;
  // an explicit null means no window (Mistral v0.2 and later)
  const window = !useWindow ? null : merged['sliding_window'] === undefined ? d.sliding_window : merged['sliding_window'];
  if (window !== null && (typeof window !== 'number' || !Number.isInteger(window) || window <= 0)) r.fail(`sliding_window must be a positive integer or null, got ${JSON.stringify(window)}`);
  const one = (ids: TokenIds): number | null => (ids === null ? null : Array.isArray(ids) ? (ids[0] ?? null) : ids);
  const idOr = (key: 'bos_token_id' | 'eos_token_id' | 'pad_token_id'): TokenIds => (merged[key] === undefined ? d[key] : r.tokenIds(key, vocab));
  const config: DecoderConfig<T> = {
    model_type: modelType,
    architectures: r.names('architectures'),
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: r.positiveInt('intermediate_size', d.intermediate_size),
    num_hidden_layers: r.positiveInt('num_hidden_layers', d.num_hidden_layers),
    num_attention_heads: heads,
    num_key_value_heads: r.positiveInt('num_key_value_heads', d.num_key_value_heads ?? heads),
    head_dim: r.positiveInt('head_dim', d.head_dim ?? Math.floor(hidden / heads)),
    hidden_act: r.oneOf(act, HIDDEN_ACTS, d.hidden_act),
    max_position_embeddings: maxPositions,
    initializer_range: r.positiveNumber('initializer_range', 0.02),
    rms_norm_eps: r.positiveNumber('rms_norm_eps', d.rms_norm_eps),
    attention_bias: r.boolean('attention_bias', false),
    mlp_bias: r.boolean('mlp_bias', false),
    attention_dropout: r.probability('attention_dropout', 0) ?? 0,
    tie_word_embeddings: r.boolean('tie_word_embeddings', d.tie_word_embeddings),
    rope_parameters: parseRope(r, maxPositions),
    sliding_window: window as number | null,
    bos_token_id: one(idOr('bos_token_id')),
    eos_token_id: idOr('eos_token_id'),
    pad_token_id: one(idOr('pad_token_id')),
    extra: extraKeys(json, KNOWN, overrides.extra),
  };
  if (config.num_attention_heads % config.num_key_value_heads !== 0) {
    r.fail(`num_attention_heads ${config.num_attention_heads} is not a multiple of num_key_value_heads ${config.num_key_value_heads}`);
  }
  if (config.head_dim % 2 !== 0) r.fail(`head_dim ${config.head_dim} must be even for rotary embeddings`);
  return config;
}

/**
 * Parses and validates a Llama, Mistral or Qwen2 `config.json` (as an object), filling in the
 * defaults of transformers' class for its `model_type` (default `llama`).
 * @param json - the parsed `config.json`; unknown keys are kept in `extra`.
 * @param overrides - fields that replace the file's.
 * @returns the full configuration.
 * @throws ModelLoadError for another `model_type`, an unsupported RoPE type (the message lists
 *   the supported ones), heads that do not divide, or a value of the wrong type or range.
 * @example
 * ```ts
 * const config = Llama.parseConfig({ hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 512 });
 * config.head_dim; // 16
 * ```
 */
export function parseConfig(json: Record<string, unknown>, overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  const where = 'Llama.parseConfig';
  const given: unknown = overrides.model_type ?? json?.['model_type'] ?? 'llama';
  if (given !== 'llama' && given !== 'mistral' && given !== 'qwen2') {
    return new ConfigReader(where, {}).fail(`model_type is ${JSON.stringify(given)}; Llama.parseConfig reads "llama", "mistral" and "qwen2" configs`);
  }
  const modelType: LlamaModelType = given;
  return parseDecoderConfig<LlamaModelType>(where, json, overrides, modelType, LLAMA_DEFAULTS[modelType]);
}

/**
 * The configuration as transformers 5 writes `config.json` (`rope_parameters`, `extra` keys merged back in).
 * @param config - the configuration.
 * @returns a JSON-ready object.
 */
export function configToJson(config: DecoderConfig): Record<string, unknown> {
  const { extra, ...rest } = config;
  const out: Record<string, unknown> = { ...extra, ...rest };
  if (config.model_type === 'qwen2') out['use_sliding_window'] = config.sliding_window !== null;
  return out;
}
