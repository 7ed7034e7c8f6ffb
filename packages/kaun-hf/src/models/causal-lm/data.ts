/**
 * Text datasets for causal-LM training: texts tokenized and packed into blocks (or truncated and
 * padded), with attention masks and labels, as host columns for kaun's `Data`.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Data, DataError, type Train } from '@raven/kaun';
import type { Tokenizer } from '../../tokenizer/index.js';
import { IGNORE_INDEX } from './loss.js';
import type { CausalLMInputs } from './types.js';

/** Options of {@link textDataset}. */
export interface TextDatasetOptions {
  /** Tokens per row. */
  blockSize: number;
  /**
   * `true`: concatenate all texts (each followed by the EOS token) and cut the stream into
   * blocks of `blockSize`, dropping the incomplete rest (transformers' `group_texts`); every
   * token is real. `false`: one row per text, cut at `blockSize` and right-padded (mask 0,
   * label -100 on padding). Default true.
   */
  packing?: boolean;
  /** Add the tokenizer's special tokens (a BOS) to each text. Default true. */
  addSpecialTokens?: boolean;
  /** Follow each text with this id when packing. Default: the tokenizer's EOS (none if it has none). */
  separatorId?: number | null;
  /** The id padding rows get. Default: the tokenizer's pad token, else its EOS, else 0 (masked and unlabelled either way). */
  padTokenId?: number;
}

const KEYS: nx.OptionKeys<TextDatasetOptions> = { blockSize: true, packing: true, addSpecialTokens: true, separatorId: true, padTokenId: true };

/** The columns {@link textDataset} makes. */
export type TextColumns = 'inputIds' | 'attentionMask' | 'labels';

/** A training batch of a causal LM: the model's inputs and the labels `CausalLM.loss` takes. */
export type TextBatch = Train.Batch<CausalLMInputs, Tensor>;

/**
 * Tokenizes texts into rows of `blockSize` tokens, as kaun `Data` columns `inputIds`,
 * `attentionMask` and `labels` (`int32 [rows, blockSize]`; labels are the ids, -100 on
 * padding: `CausalLM.loss` shifts them). Shuffle and batch it like any source, then turn the
 * batches into model inputs with {@link toTrainBatch}.
 * @param tokenizer - the model's tokenizer.
 * @param texts - the documents.
 * @param options - see {@link TextDatasetOptions}.
 * @returns a `Data.Source` of rows.
 * @throws DataError when `blockSize` is not a positive integer, or packing leaves no full block; OptionError for an unknown option.
 * @example
 * ```ts
 * const data = CausalLM.textDataset(tokenizer, chapters, { blockSize: 128 }).shuffle(nx.random.key(0)).batch(8).map(CausalLM.toTrainBatch);
 * await Train.fit(trainer, state, data, { epochs: 1 });
 * ```
 */
export function textDataset(tokenizer: Tokenizer, texts: readonly string[], options: TextDatasetOptions): Data.Source<TextColumns> {
  const fn = 'CausalLM.textDataset';
  nx.checkOptions(fn, options, KEYS);
  const n = options.blockSize;
  if (!Number.isInteger(n) || n < 2) throw new DataError(`${fn}: blockSize must be an integer >= 2, got ${JSON.stringify(n)}`);
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) throw new DataError(`${fn}: texts must be an array of strings`);
  const rows = tokenizer.encodeBatchArrays(texts, { padding: false, addSpecialTokens: options.addSpecialTokens ?? true }).inputIds;
  let ids: Int32Array;
  let mask: Int32Array;
  let labels: Int32Array;
  if (options.packing ?? true) {
    const sep = options.separatorId === undefined ? tokenizer.eosTokenId : options.separatorId;
    const stream: number[] = [];
    for (const r of rows) {
      for (const id of r) stream.push(id);
      if (sep !== undefined && sep !== null) stream.push(sep);
    }
    const count = Math.floor(stream.length / n);
    if (count === 0) throw new DataError(`${fn}: the texts give ${stream.length} tokens, fewer than one block of ${n}; lower blockSize or add text`);
    ids = Int32Array.from(stream.slice(0, count * n));
    mask = new Int32Array(ids.length).fill(1);
    labels = ids.slice();
  } else {
    const pad = options.padTokenId ?? tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
    ids = new Int32Array(rows.length * n).fill(pad);
    mask = new Int32Array(rows.length * n);
    labels = new Int32Array(rows.length * n).fill(IGNORE_INDEX);
    rows.forEach((r, i) => {
      const m = Math.min(r.length, n);
      for (let j = 0; j < m; j++) {
        ids[i * n + j] = r[j]!;
        labels[i * n + j] = r[j]!;
        mask[i * n + j] = 1;
      }
    });
  }
  const rowsOf = ids.length / n;
  return Data.fromArrays({
    inputIds: { data: ids, shape: [rowsOf, n], dtype: 'int32' },
    attentionMask: { data: mask, shape: [rowsOf, n], dtype: 'int32' },
    labels: { data: labels, shape: [rowsOf, n], dtype: 'int32' },
  });
}

/**
 * A batch of {@link textDataset} rows as a training batch: `{x: {inputIds, attentionMask}, y: labels}`.
 * @example `source.batch(8).map(CausalLM.toTrainBatch)`
 */
export function toTrainBatch(batch: Record<TextColumns, Tensor>): TextBatch {
  return { x: { inputIds: batch.inputIds, attentionMask: batch.attentionMask }, y: batch.labels };
}
