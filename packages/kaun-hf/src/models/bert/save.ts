/**
 * `Bert.savePretrained`: a BERT model in Hugging Face layout (`config.json`, `model.safetensors`
 * or shards with `model.safetensors.index.json`, tokenizer files), written by the shared
 * `savePretrained`; `Bert.fromPretrained` and transformers' `from_pretrained` read it back.
 * @module
 */
import type * as nx from '@raven/nx';
import { checkOptions } from '@raven/nx/options';
import type { Layer } from '@raven/kaun';
import { ModelLoadError } from '../../errors.js';
import { type SavedFiles, writePretrained } from '../../pretrained/save.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { BertConfig } from './config.js';
import type { Architecture } from './keys.js';
import { bertDescriptor } from './model.js';

export type { SavedFiles } from '../../pretrained/save.js';

/** Options of {@link savePretrained}. */
export interface SavePretrainedOptions {
  /** The model (a layer from `Bert.bertModel`, `Bert.bertForSequenceClassification` or `Bert.fromPretrained`). */
  model: { config: BertConfig; architecture: Architecture; addPoolingLayer?: boolean };
  /** Its variables. */
  vars: Layer.Vars;
  /** A tokenizer to save beside the model (`tokenizer.json`/`vocab.txt`, `tokenizer_config.json`). */
  tokenizer?: Tokenizer;
  /**
   * Largest shard: bytes, or a string such as `'5GB'`, `'500MB'`, `'100KiB'` (transformers'
   * convention: GB = 10^9, GiB = 2^30). A checkpoint larger than this is split into
   * `model-00001-of-0000N.safetensors` files and `model.safetensors.index.json`. Default `'5GB'`.
   */
  maxShardSize?: number | string;
}

const SAVE_PRETRAINED_KEYS: nx.OptionKeys<SavePretrainedOptions> = { model: true, vars: true, tokenizer: true, maxShardSize: true };

/**
 * Writes a BERT model in Hugging Face layout: `config.json` (the full configuration with
 * `architectures`, `num_labels`, `id2label`, `label2id`), the weights as float32 safetensors
 * with the Hugging Face key names and Linear weights `[out, in]` (metadata `format: pt`), in one
 * `model.safetensors` or, above `maxShardSize`, in shards `model-00001-of-0000N.safetensors`
 * with `model.safetensors.index.json` (written by kaun's `Checkpoint.save`, which removes the
 * weight files of an earlier save once the new ones are complete); and the tokenizer's files
 * when a tokenizer is given. `Bert.fromPretrained(dir)` and transformers'
 * `BertForSequenceClassification.from_pretrained(dir)` load the result. The package's
 * `savePretrained` does the same for any Hugging Face format model.
 * @param dir - the folder (created if missing).
 * @param options - see {@link SavePretrainedOptions}.
 * @returns the folder and the files written.
 * @throws ModelLoadError when the variables do not hold exactly the model's parameters with their shapes.
 * @example
 * ```ts
 * await Bert.savePretrained('out/spam-bert', { model, vars, tokenizer });
 * const again = await Bert.fromPretrained('out/spam-bert');
 * ```
 */
export async function savePretrained(dir: string, options: SavePretrainedOptions): Promise<SavedFiles> {
  checkOptions('Bert.savePretrained', options, SAVE_PRETRAINED_KEYS);
  const fn = 'Bert.savePretrained';
  const { model, ...rest } = options;
  if (!model || typeof model !== 'object' || !model.config || !model.architecture) {
    throw new ModelLoadError(`${fn}: options.model must be a BERT layer (from Bert.bertModel, Bert.bertForSequenceClassification or Bert.fromPretrained)`);
  }
  return writePretrained(fn, dir, { ...rest, model: { hf: bertDescriptor(model.config, model.architecture, model.addPoolingLayer ?? true) } });
}
