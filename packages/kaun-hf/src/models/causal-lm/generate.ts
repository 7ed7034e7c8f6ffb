/**
 * `generate`: incremental decoding with a key/value cache: the prompt once, then one token per
 * step; greedy or sampled (temperature, top-k, top-p) with a repetition penalty; stops at EOS
 * ids, stop strings or `maxNewTokens`; batches left-padded with attention masks; every tensor
 * freed as it goes.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { type Layer, LayerError } from '@raven/kaun';
import type { Tokenizer } from '../../tokenizer/index.js';
import { chooseToken, type TokenChoice } from './processors.js';
import type { Streamer } from './streamer.js';
import type { CausalLM, CausalLMOutput, KVCache } from './types.js';

/** What to continue: text (with a tokenizer), token id rows of any lengths, or a padded batch. */
export type GenerateInput = string | readonly string[] | ReadonlyArray<readonly number[]> | { inputIds: Tensor; attentionMask?: Tensor };

/** Options of {@link generate}; sampling settings default to the model's `generation` defaults. */
export interface GenerateOptions {
  /** Encodes text prompts and stop strings, decodes `texts`. Needed for text prompts and `stopStrings`. */
  tokenizer?: Tokenizer;
  /** Tokens to add per row. Default: the model's `generation.maxNewTokens`, else `maxLength` minus the prompt (transformers' 20 in all). */
  maxNewTokens?: number;
  /** Sample instead of taking the most likely token. Default: the model's (`false` unless generation_config.json says). */
  doSample?: boolean;
  /** Softmax temperature when sampling (> 0). */
  temperature?: number;
  /** Keep only the `topK` most likely tokens when sampling; 0 keeps all. */
  topK?: number;
  /** Keep the most likely tokens up to probability `topP` when sampling, in (0, 1]. */
  topP?: number;
  /** transformers' repetition penalty (> 0; 1 = none, 1.2 is typical). */
  repetitionPenalty?: number;
  /** A row finishes when it makes one of these ids. Default: the model's EOS ids; `[]` never stops early. */
  eosTokenIds?: readonly number[];
  /** The id of left padding and of finished rows. Default: the model's pad id, else its first EOS id, else 0. */
  padTokenId?: number;
  /** A row finishes when its new text contains one of these (kept in the output, as transformers does). Needs `tokenizer`. */
  stopStrings?: readonly string[];
  /** The key sampling draws from (step `t` uses `foldIn(key, t)`): the same key gives the same text. Default `nx.random.key(0)`. */
  key?: nx.random.Key;
  /** Add the tokenizer's special tokens (a BOS) to text prompts. Default true; use false for chat-template text. */
  addSpecialTokens?: boolean;
  /** Called after each step with each row's new token (finished rows: the pad id). */
  onToken?: (tokens: readonly number[], step: number) => void;
  /** Receives each step's tokens and the end (e.g. {@link textStreamer}). */
  streamer?: Streamer;
}

const KEYS: nx.OptionKeys<GenerateOptions> = {
  tokenizer: true, maxNewTokens: true, doSample: true, temperature: true, topK: true, topP: true, repetitionPenalty: true,
  eosTokenIds: true, padTokenId: true, stopStrings: true, key: true, addSpecialTokens: true, onToken: true, streamer: true,
};

/** Why a row stopped. */
export type FinishReason = 'eos' | 'stop' | 'length';

/** What {@link generate} returns. */
export interface GenerateResult {
  /** Per row: the prompt as run (left padding included) and the new tokens, finished rows padded: transformers' `generate` output. */
  sequences: number[][];
  /** Per row: the new tokens, up to and including the EOS id or the stop string's last token. */
  newTokens: number[][];
  /** Per row: the new text, special tokens skipped (when a tokenizer was given). */
  texts?: string[];
  /** Per row: why it stopped. */
  finishReasons: FinishReason[];
}

const fail = (message: string): never => {
  throw new LayerError(`CausalLM.generate: ${message}`);
};

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/** The prompt rows (unpadded) and, for a padded batch, its mask. */
function promptRows(input: GenerateInput, options: GenerateOptions): { rows: number[][]; mask?: number[][] } {
  if (typeof input === 'string' || (Array.isArray(input) && input.length > 0 && input.every((p) => typeof p === 'string'))) {
    const tok = options.tokenizer ?? fail('text prompts need options.tokenizer (the model\'s tokenizer)');
    const texts = typeof input === 'string' ? [input] : (input as string[]);
    return { rows: tok.encodeBatchArrays(texts, { padding: false, addSpecialTokens: options.addSpecialTokens ?? true }).inputIds };
  }
  if (Array.isArray(input)) {
    if (input.length === 0) fail('no prompts given');
    const rows = (input as unknown[]).map((r, i) => {
      if (!Array.isArray(r) || r.length === 0 || r.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
        fail(`prompt ${i} must be a non-empty array of token ids (or all prompts strings), got ${JSON.stringify(r)?.slice(0, 60)}`);
      }
      return [...(r as number[])];
    });
    return { rows };
  }
  const batch = input as { inputIds?: Tensor; attentionMask?: Tensor };
  if (!nx.isTensor(batch?.inputIds) || batch.inputIds.rank !== 2 || batch.inputIds.dtype !== 'int32') fail('expected text, token id rows, or {inputIds: int32 [B, L], attentionMask?}');
  const rows = nx.toArray(batch.inputIds!) as number[][];
  if (batch.attentionMask === undefined) return { rows };
  if (!nx.isTensor(batch.attentionMask) || batch.attentionMask.rank !== 2 || batch.attentionMask.shape.some((d, i) => d !== batch.inputIds!.shape[i])) {
    fail(`attentionMask must have inputIds' shape [${batch.inputIds!.shape.join(', ')}]`);
  }
  const mask = nx.cast(batch.attentionMask!, 'int32');
  try {
    return { rows, mask: nx.toArray(mask) as number[][] };
  } finally {
    mask.dispose();
  }
}

/** Left-pads rows to one length; returns ids and mask. */
function leftPad(rows: number[][], pad: number): { ids: number[][]; mask: number[][] } {
  const len = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...new Array<number>(len - r.length).fill(pad), ...r]),
    mask: rows.map((r) => [...new Array<number>(len - r.length).fill(0), ...new Array<number>(r.length).fill(1)]),
  };
}

const int32 = (rows: number[][]): Tensor => {
  const b = rows.length;
  const l = rows[0]!.length;
  const flat = new Int32Array(b * l);
  rows.forEach((r, i) => flat.set(r, i * l));
  return nx.fromArray(flat, { shape: [b, l], dtype: 'int32' });
};

/**
 * Continues prompts with a causal language model, one token per step with a key/value cache (the
 * prompt is run once; each step runs only the new token), as transformers' `generate`:
 *
 * - Text prompts are encoded with the tokenizer (a BOS added where its post-processor says);
 *   rows of different lengths are left-padded and masked; positions count real tokens only.
 * - Greedy by default; with `doSample`, the repetition penalty, temperature, top-k and top-p
 *   shape the distribution and a draw from `key` picks the token (same key, same text).
 * - A row stops at an EOS id, at a stop string, or after `maxNewTokens`; finished rows are padded
 *   until all stop. `onToken` and `streamer` see every step.
 * - The cache is replaced each step and the old one freed: the live-tensor count stays flat.
 * @param model - a causal LM (from `CausalLM.fromPretrained` or a family's constructor).
 * @param vars - its variables.
 * @param input - a text, texts (need `tokenizer`), token id rows, or a padded `{inputIds, attentionMask}` batch.
 * @param options - see {@link GenerateOptions}.
 * @returns sequences, new tokens, texts (with a tokenizer) and why each row stopped.
 * @throws LayerError for bad prompts or options (named), a sequence longer than the model
 *   takes (GPT-2's `n_positions`); OptionError for an unknown option.
 * @example
 * ```ts
 * const out = await CausalLM.generate(model, vars, ['Call me Ishmael.', 'The whale'], { tokenizer, maxNewTokens: 20 });
 * console.log(out.texts);
 * ```
 */
export async function generate(model: CausalLM, vars: Layer.Vars, input: GenerateInput, options: GenerateOptions = {}): Promise<GenerateResult> {
  nx.checkOptions('CausalLM.generate', options, KEYS);
  if (!model || typeof model.apply !== 'function' || model.generation === undefined) fail('model must be a causal LM (from CausalLM.fromPretrained, Gpt2.*, Llama.* or Gemma.*)');
  const g = model.generation;
  const choice: TokenChoice = {
    doSample: options.doSample ?? g.doSample,
    temperature: options.temperature ?? g.temperature,
    topK: options.topK ?? g.topK,
    topP: options.topP ?? g.topP,
    repetitionPenalty: options.repetitionPenalty ?? g.repetitionPenalty,
  };
  if (typeof choice.doSample !== 'boolean') fail(`doSample must be true or false, got ${JSON.stringify(choice.doSample)}`);
  if (!(choice.temperature > 0) || !Number.isFinite(choice.temperature)) fail(`temperature must be a positive number, got ${choice.temperature}`);
  if (!Number.isInteger(choice.topK) || choice.topK < 0) fail(`topK must be a non-negative integer, got ${choice.topK}`);
  if (!(choice.topP > 0 && choice.topP <= 1)) fail(`topP must be in (0, 1], got ${choice.topP}`);
  if (!(choice.repetitionPenalty > 0) || !Number.isFinite(choice.repetitionPenalty)) fail(`repetitionPenalty must be a positive number, got ${choice.repetitionPenalty}`);
  const eos = new Set(options.eosTokenIds ?? g.eosTokenIds);
  const pad = options.padTokenId ?? g.padTokenId ?? g.eosTokenIds[0] ?? 0;
  const stops = options.stopStrings ?? [];
  if (!Array.isArray(stops) || stops.some((s) => typeof s !== 'string' || s === '')) fail('stopStrings must be non-empty strings');
  if (stops.length > 0 && options.tokenizer === undefined) fail('stopStrings need options.tokenizer to decode the generated text');
  const key = options.key ?? nx.random.key(0);

  const given = promptRows(input, options);
  const { ids: promptIds, mask: promptMask } = given.mask === undefined ? leftPad(given.rows, pad) : { ids: given.rows, mask: given.mask };
  const batch = promptIds.length;
  const promptLength = promptIds[0]!.length;
  const maxNew = positiveInt('maxNewTokens', options.maxNewTokens ?? g.maxNewTokens ?? Math.max(1, g.maxLength - promptLength));
  if (model.maxPositions !== undefined && promptLength + maxNew > model.maxPositions) {
    fail(`a prompt of ${promptLength} tokens plus ${maxNew} new tokens exceeds the ${model.maxPositions} positions the model has; shorten the prompt or lower maxNewTokens`);
  }

  const sequences = promptIds.map((r) => [...r]);
  const mask = promptMask.map((r) => [...r]);
  const newTokens: number[][] = promptIds.map(() => []);
  const finish: Array<FinishReason | undefined> = new Array(batch).fill(undefined);
  const streams = stops.length > 0 ? promptIds.map(() => options.tokenizer!.decodeStream({ skipSpecialTokens: false })) : [];
  const generatedText = promptIds.map(() => '');
  // positions count real tokens only: cumsum(mask) - 1, padding at 0 (as transformers); each
  // step's token takes the next one
  const next = mask.map((r) => r.reduce((a, b) => a + b, 0));
  const positions = mask.map((r) => {
    let c = -1;
    return r.map((m) => (m === 1 ? ++c : 0));
  });

  let cache: KVCache | undefined;
  let logits: Tensor | undefined;
  const run = (ids: number[][], positionIds: number[][]): CausalLMOutput =>
    nx.scope(() => {
      const inputs = { inputIds: int32(ids), attentionMask: int32(mask), positionIds: int32(positionIds) };
      return model.apply(vars, { ...inputs, cache, useCache: true, logitsToKeep: 1 }).y;
    });
  try {
    ({ logits, cache } = run(promptIds, positions));
    for (let step = 0; step < maxNew; step++) {
      const scores = nx.toTypedArray(logits!) as Float32Array; // [B, 1, V]
      const vocab = scores.length / batch;
      const u = choice.doSample ? nx.random.uniformArray(nx.random.foldIn(key, step), batch) : undefined;
      const tokens: number[] = [];
      const active: boolean[] = [];
      for (let b = 0; b < batch; b++) {
        if (finish[b] !== undefined) {
          tokens.push(pad);
          active.push(false);
          continue;
        }
        const row = scores.slice(b * vocab, (b + 1) * vocab);
        const id = chooseToken(row, sequences[b]!, choice, u?.[b] ?? 0);
        tokens.push(id);
        active.push(true);
        newTokens[b]!.push(id);
        if (eos.has(id)) finish[b] = 'eos';
        else if (streams.length > 0) {
          generatedText[b] += streams[b]!.push(id);
          if (stops.some((s) => generatedText[b]!.includes(s))) finish[b] = 'stop';
        }
      }
      tokens.forEach((t, b) => {
        sequences[b]!.push(t);
        mask[b]!.push(1);
      });
      options.onToken?.(tokens, step);
      options.streamer?.put(tokens, step, active);
      // yield to the event loop each step: streamed text reaches the terminal, timers and servers stay alive
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (step === maxNew - 1 || finish.every((f) => f !== undefined)) break;
      const stepPositions = next.map((n) => [n]);
      next.forEach((_, b) => (next[b]! += 1));
      const previous = { logits, cache };
      ({ logits, cache } = run(tokens.map((t) => [t]), stepPositions));
      nx.dispose(previous);
    }
  } finally {
    nx.dispose({ logits, cache });
  }
  options.streamer?.end();
  const result: GenerateResult = { sequences, newTokens, finishReasons: finish.map((f) => f ?? 'length') };
  if (options.tokenizer !== undefined) result.texts = newTokens.map((t) => options.tokenizer!.decode(t, { skipSpecialTokens: true }));
  return result;
}
