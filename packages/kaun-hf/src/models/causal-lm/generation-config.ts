/**
 * Generation defaults of a model: token ids from `config.json`, sampling settings from
 * `generation_config.json`, with transformers' `GenerationConfig` defaults; and the file written back.
 * @module
 */
import { ConfigReader, type TokenIds, idList } from '../../pretrained/config-reader.js';

/** Token ids and sampling defaults a model generates with (a `generate` call may override each). */
export interface GenerationDefaults {
  /** The beginning-of-sequence id, `null` when none. */
  bosTokenId: number | null;
  /** Generation stops at any of these ids (empty: only at `maxNewTokens`). */
  eosTokenIds: number[];
  /** The id finished or left-padded rows are filled with, `null` when the model names none (then the first EOS id is used). */
  padTokenId: number | null;
  /** Sample (true) or pick the most likely token (false). transformers' default false. */
  doSample: boolean;
  /** Softmax temperature when sampling. Default 1. */
  temperature: number;
  /** Keep only the `topK` most likely tokens when sampling; 0 keeps all. transformers' default 50. */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches `topP` when sampling. Default 1. */
  topP: number;
  /** transformers' repetition penalty (1 = none). Default 1. */
  repetitionPenalty: number;
  /** New tokens to generate, `null` when the file gives only `max_length`. */
  maxNewTokens: number | null;
  /** Prompt plus new tokens, transformers' `max_length` (default 20), used when `maxNewTokens` is null. */
  maxLength: number;
  /** The `generation_config.json` read (other keys kept to write back), or `null` when the model had none. */
  json: Record<string, unknown> | null;
}

/** The token ids a model configuration names (`bos_token_id`, `eos_token_id`, `pad_token_id`). @internal */
export interface ConfigTokenIds {
  bos_token_id: number | null;
  eos_token_id: TokenIds;
  pad_token_id: number | null;
}

function one(ids: TokenIds): number | null {
  return ids === null ? null : Array.isArray(ids) ? (ids[0] ?? null) : ids;
}

/**
 * The generation defaults from a model's token ids and (optionally) its `generation_config.json`
 * (whose ids win, as in transformers).
 * @throws ModelLoadError for a value of the wrong type or range.
 * @internal
 */
export function generationDefaults(ids: ConfigTokenIds, vocabSize: number, json?: Record<string, unknown>): GenerationDefaults {
  const r: ConfigReader = new ConfigReader('generation_config.json', json ?? {});
  const fromFile = (key: keyof ConfigTokenIds): TokenIds => (json !== undefined && json[key] !== undefined && json[key] !== null ? r.tokenIds(key, vocabSize) : ids[key]);
  const number = (key: string, dflt: number, ok: (v: number) => boolean, what: string): number => {
    const v = r.value(key, dflt);
    if (typeof v !== 'number' || !ok(v)) r.fail(`${key} must be ${what}, got ${JSON.stringify(v)}`);
    return v;
  };
  const maxNew = r.value('max_new_tokens', null);
  if (maxNew !== null && (typeof maxNew !== 'number' || !Number.isInteger(maxNew) || maxNew < 1)) r.fail(`max_new_tokens must be a positive integer, got ${JSON.stringify(maxNew)}`);
  return {
    bosTokenId: one(fromFile('bos_token_id')),
    eosTokenIds: idList(fromFile('eos_token_id')),
    padTokenId: one(fromFile('pad_token_id')),
    doSample: r.boolean('do_sample', false),
    temperature: number('temperature', 1, (v) => v > 0 && Number.isFinite(v), 'a positive number'),
    topK: number('top_k', 50, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'),
    topP: number('top_p', 1, (v) => v > 0 && v <= 1, 'in (0, 1]'),
    repetitionPenalty: number('repetition_penalty', 1, (v) => v > 0 && Number.isFinite(v), 'a positive number'),
    maxNewTokens: maxNew as number | null,
    maxLength: number('max_length', 20, (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
    json: json === undefined ? null : { ...json },
  };
}

/**
 * `generation_config.json` for a save: the file the model came with, else what transformers
 * derives from the model configuration (`_from_model_config` with the token ids).
 * @internal
 */
export function generationConfigJson(g: GenerationDefaults, ids: ConfigTokenIds): Record<string, unknown> {
  if (g.json !== null) return { ...g.json };
  const out: Record<string, unknown> = { _from_model_config: true };
  if (ids.bos_token_id !== null) out['bos_token_id'] = ids.bos_token_id;
  if (ids.eos_token_id !== null) out['eos_token_id'] = ids.eos_token_id;
  if (ids.pad_token_id !== null) out['pad_token_id'] = ids.pad_token_id;
  return out;
}
