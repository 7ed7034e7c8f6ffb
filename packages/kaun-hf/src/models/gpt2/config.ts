/**
 * GPT-2 configuration: `config.json` as transformers writes it (`GPT2Config`), parsed with its
 * defaults and validated.
 * @module
 */
import { checkOptions, type OptionKeys } from '@raven/nx/options';
import { ConfigReader, type TokenIds, extraKeys, mergeOverrides } from '../../pretrained/config-reader.js';
import { HIDDEN_ACTS, type HiddenAct } from '../common/ops.js';

/** A GPT-2 configuration with transformers' key names; keys we do not use are kept in `extra`. */
export interface Gpt2Config {
  /** Always `'gpt2'`. */
  model_type: 'gpt2';
  /** The architectures the checkpoint was saved from. Default `[]`. */
  architectures: string[];
  /** Vocabulary size. Default 50257. */
  vocab_size: number;
  /** Longest sequence (learned positions). Default 1024. */
  n_positions: number;
  /** Hidden size. Default 768. */
  n_embd: number;
  /** Number of blocks. Default 12. */
  n_layer: number;
  /** Attention heads; must divide `n_embd`. Default 12. */
  n_head: number;
  /** Feed-forward inner size; `null` means `4 * n_embd`. Default null. */
  n_inner: number | null;
  /** Feed-forward activation. Default `'gelu_new'` (tanh approximation). */
  activation_function: HiddenAct;
  /** Dropout on residual branches. Default 0.1. */
  resid_pdrop: number;
  /** Dropout on the embeddings. Default 0.1. */
  embd_pdrop: number;
  /** Dropout on attention probabilities. Default 0.1. */
  attn_pdrop: number;
  /** LayerNorm epsilon. Default 1e-5. */
  layer_norm_epsilon: number;
  /** Standard deviation of fresh weights. Default 0.02. */
  initializer_range: number;
  /** Scale scores by `1 / sqrt(head size)`. Default true. */
  scale_attn_weights: boolean;
  /** Also divide scores by the layer number (from 1). Default false. */
  scale_attn_by_inverse_layer_idx: boolean;
  /** The head shares the token embeddings. Default true. */
  tie_word_embeddings: boolean;
  /** Beginning-of-sequence id. Default 50256 (null when the vocabulary is smaller). */
  bos_token_id: number | null;
  /** End-of-sequence id(s). Default 50256 (null when the vocabulary is smaller). */
  eos_token_id: TokenIds;
  /** Padding id. Default null. */
  pad_token_id: number | null;
  /** Any other keys of `config.json`, kept so a save writes them back. */
  extra: Record<string, unknown>;
}

/** The keys of {@link Gpt2Config}, for checking overrides. @internal */
export const GPT2_CONFIG_KEYS: OptionKeys<Gpt2Config> = {
  model_type: true, architectures: true, vocab_size: true, n_positions: true, n_embd: true, n_layer: true, n_head: true, n_inner: true,
  activation_function: true, resid_pdrop: true, embd_pdrop: true, attn_pdrop: true, layer_norm_epsilon: true, initializer_range: true,
  scale_attn_weights: true, scale_attn_by_inverse_layer_idx: true, tie_word_embeddings: true, bos_token_id: true, eos_token_id: true,
  pad_token_id: true, extra: true,
};

const DEFAULTS = {
  vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, activation_function: 'gelu_new',
  resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, layer_norm_epsilon: 1e-5, initializer_range: 0.02,
} as const;

const KNOWN = new Set<string>([
  ...Object.keys(DEFAULTS), 'model_type', 'architectures', 'n_inner', 'scale_attn_weights', 'scale_attn_by_inverse_layer_idx',
  'tie_word_embeddings', 'bos_token_id', 'eos_token_id', 'pad_token_id', 'dtype', 'torch_dtype',
]);

/**
 * Parses and validates a GPT-2 `config.json` (as an object), filling in transformers' defaults.
 * @param json - the parsed `config.json`; unknown keys are kept in `extra`.
 * @param overrides - fields that replace the file's (e.g. `{resid_pdrop: 0}`).
 * @returns the full configuration.
 * @throws ModelLoadError for a `model_type` other than `gpt2`, cross-attention, an unknown
 *   activation, heads not dividing the hidden size, or a value of the wrong type or range.
 * @example
 * ```ts
 * const config = Gpt2.parseConfig({ n_embd: 128, n_layer: 4, n_head: 4, n_positions: 256, vocab_size: 2048 });
 * ```
 */
export function parseConfig(json: Record<string, unknown>, overrides: Partial<Gpt2Config> = {}): Gpt2Config {
  checkOptions('Gpt2.parseConfig: overrides', overrides, GPT2_CONFIG_KEYS);
  const merged = mergeOverrides('Gpt2.parseConfig', json, overrides);
  const r: ConfigReader = new ConfigReader('Gpt2.parseConfig', merged);
  const modelType = merged['model_type'] ?? 'gpt2';
  if (modelType !== 'gpt2') r.fail(`model_type is ${JSON.stringify(modelType)}; only "gpt2" configs can be loaded as GPT-2`);
  if (r.boolean('add_cross_attention', false)) r.fail('add_cross_attention is true; GPT-2 with cross-attention (an encoder-decoder part) is not supported');
  const vocab = r.positiveInt('vocab_size', DEFAULTS.vocab_size);
  // GPT2Config's default BOS/EOS is GPT-2's <|endoftext|>, which smaller vocabularies lack
  const gpt2Default = vocab > 50256 ? 50256 : null;
  const inner = r.value('n_inner', null);
  if (inner !== null && (typeof inner !== 'number' || !Number.isInteger(inner) || inner <= 0)) r.fail(`n_inner must be a positive integer or null, got ${JSON.stringify(inner)}`);
  const config: Gpt2Config = {
    model_type: 'gpt2',
    architectures: r.names('architectures'),
    vocab_size: vocab,
    n_positions: r.positiveInt('n_positions', DEFAULTS.n_positions),
    n_embd: r.positiveInt('n_embd', DEFAULTS.n_embd),
    n_layer: r.positiveInt('n_layer', DEFAULTS.n_layer),
    n_head: r.positiveInt('n_head', DEFAULTS.n_head),
    n_inner: inner as number | null,
    activation_function: r.oneOf('activation_function', HIDDEN_ACTS, DEFAULTS.activation_function),
    resid_pdrop: r.probability('resid_pdrop', DEFAULTS.resid_pdrop)!,
    embd_pdrop: r.probability('embd_pdrop', DEFAULTS.embd_pdrop)!,
    attn_pdrop: r.probability('attn_pdrop', DEFAULTS.attn_pdrop)!,
    layer_norm_epsilon: r.positiveNumber('layer_norm_epsilon', DEFAULTS.layer_norm_epsilon),
    initializer_range: r.positiveNumber('initializer_range', DEFAULTS.initializer_range),
    scale_attn_weights: r.boolean('scale_attn_weights', true),
    scale_attn_by_inverse_layer_idx: r.boolean('scale_attn_by_inverse_layer_idx', false),
    tie_word_embeddings: r.boolean('tie_word_embeddings', true),
    bos_token_id: firstId(r.tokenIds('bos_token_id', vocab) ?? (merged['bos_token_id'] === undefined ? gpt2Default : null)),
    eos_token_id: r.tokenIds('eos_token_id', vocab) ?? (merged['eos_token_id'] === undefined ? gpt2Default : null),
    pad_token_id: firstId(r.tokenIds('pad_token_id', vocab)),
    extra: extraKeys(json, KNOWN, overrides.extra),
  };
  if (config.n_embd % config.n_head !== 0) r.fail(`n_embd ${config.n_embd} is not a multiple of n_head ${config.n_head}`);
  return config;
}

/** The first id of a token id field, or null. @internal */
export function firstId(ids: TokenIds): number | null {
  return ids === null ? null : Array.isArray(ids) ? (ids[0] ?? null) : ids;
}

/**
 * The configuration as transformers writes `config.json` (`extra` keys merged back in).
 * @param config - the configuration.
 * @returns a JSON-ready object.
 */
export function configToJson(config: Gpt2Config): Record<string, unknown> {
  const { extra, ...rest } = config;
  return { ...extra, ...rest };
}
