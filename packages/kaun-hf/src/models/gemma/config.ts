/**
 * Gemma configuration: `config.json` as transformers writes it (`GemmaConfig`), parsed with its
 * defaults by the reader the Llama family shares.
 * @module
 */
import { ConfigReader } from '../../pretrained/config-reader.js';
import { type DecoderConfig, configToJson as decoderJson, parseDecoderConfig } from '../llama/config.js';

/** A Gemma configuration (the Llama-shaped fields, `model_type` `'gemma'`). */
export type GemmaConfig = DecoderConfig<'gemma'>;

/**
 * Parses and validates a Gemma `config.json` (as an object), filling in transformers'
 * `GemmaConfig` defaults (gemma-7b's shape: `head_dim` 256, `gelu_pytorch_tanh`, tied head,
 * BOS 2, EOS 1, PAD 0). The activation is read from `hidden_activation` when present, else `hidden_act`.
 * @param json - the parsed `config.json`; unknown keys are kept in `extra`.
 * @param overrides - fields that replace the file's.
 * @returns the full configuration.
 * @throws ModelLoadError for another `model_type`, an unsupported RoPE type, heads that do not
 *   divide, or a value of the wrong type or range.
 * @example
 * ```ts
 * const config = Gemma.parseConfig({ hidden_size: 32, intermediate_size: 72, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 20, vocab_size: 1024 });
 * ```
 */
export function parseConfig(json: Record<string, unknown>, overrides: Partial<GemmaConfig> = {}): GemmaConfig {
  const where = 'Gemma.parseConfig';
  const modelType = json?.['model_type'] ?? 'gemma';
  if (modelType !== 'gemma') new ConfigReader(where, {}).fail(`model_type is ${JSON.stringify(modelType)}; only "gemma" configs can be loaded as Gemma`);
  return parseDecoderConfig(where, json, overrides, 'gemma', {
    vocab_size: 256000, hidden_size: 3072, intermediate_size: 24576, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 16,
    head_dim: 256, hidden_act: 'gelu_pytorch_tanh', max_position_embeddings: 8192, rms_norm_eps: 1e-6, tie_word_embeddings: true,
    bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, sliding_window: null,
  });
}

/**
 * The configuration as transformers writes `config.json` (the activation under both
 * `hidden_act` and `hidden_activation`, as GemmaConfig keeps it).
 * @param config - the configuration.
 * @returns a JSON-ready object.
 */
export function configToJson(config: GemmaConfig): Record<string, unknown> {
  const out = decoderJson(config);
  delete out['sliding_window'];
  out['hidden_activation'] = config.hidden_act;
  return out;
}
