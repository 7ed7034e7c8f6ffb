/**
 * `savePretrained`: a BERT model in Hugging Face layout (`config.json`, `model.safetensors` or
 * shards with `model.safetensors.index.json`, tokenizer files), which `fromPretrained` and
 * transformers' `from_pretrained` read back.
 * @module
 */
import * as nx from '@raven/nx';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Tensor } from '@raven/nx';
import { Checkpoint, type Layer, Ptree } from '@raven/kaun';
import { ModelLoadError } from '../../errors.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { configToJson, type BertConfig } from './config.js';
import { type Architecture, paramSpecs } from './keys.js';

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

/** What {@link savePretrained} wrote. */
export interface SavedFiles {
  /** The folder. */
  dir: string;
  /** The files written, relative to `dir`. */
  files: string[];
}

/**
 * Writes a BERT model in Hugging Face layout: `config.json` (the full configuration with
 * `architectures`, `num_labels`, `id2label`, `label2id`), the weights as float32 safetensors
 * with the Hugging Face key names and Linear weights `[out, in]` (metadata `format: pt`), in one
 * `model.safetensors` or, above `maxShardSize`, in shards `model-00001-of-0000N.safetensors`
 * with `model.safetensors.index.json` (written by kaun's `Checkpoint.save`, which removes the
 * weight files of an earlier save once the new ones are complete); and the tokenizer's files
 * when a tokenizer is given. `Bert.fromPretrained(dir)` and transformers'
 * `BertForSequenceClassification.from_pretrained(dir)` load the result.
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
  nx.checkOptions('Bert.savePretrained', options, SAVE_PRETRAINED_KEYS);
  const fn = 'Bert.savePretrained';
  const { model, vars, tokenizer } = options;
  if (!model || typeof model !== 'object' || !model.config || !model.architecture) {
    throw new ModelLoadError(`${fn}: options.model must be a BERT layer (from Bert.bertModel, Bert.bertForSequenceClassification or Bert.fromPretrained)`);
  }
  const entries = Ptree.flattenWithPaths(vars.params);
  const specs = paramSpecs(model.config, model.architecture, model.addPoolingLayer ?? true);
  const have = new Map(entries);
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const s of specs) {
    const t = have.get(s.path);
    if (t === undefined) missing.push(s.path);
    else if (t.rank !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) wrong.push(`'${s.path}' has shape [${t.shape.join(', ')}], expected [${s.shape.join(', ')}]`);
    else if (t.dtype !== 'float32') wrong.push(`'${s.path}' has dtype ${t.dtype}, expected float32`);
  }
  const known = new Set(specs.map((s) => s.path));
  const extra = entries.map(([k]) => k).filter((k) => !known.has(k));
  if (missing.length + wrong.length + extra.length > 0) {
    const list = (xs: string[]): string => xs.slice(0, 5).map((x) => `'${x}'`).join(', ') + (xs.length > 5 ? `, ... (${xs.length - 5} more)` : '');
    const parts = [
      ...(missing.length > 0 ? [`${missing.length} parameter(s) missing: ${list(missing)}`] : []),
      ...(extra.length > 0 ? [`${extra.length} key(s) that are not parameters of ${model.architecture}: ${list(extra)}`] : []),
      ...wrong.slice(0, 5),
    ];
    throw new ModelLoadError(`${fn}: the variables do not fit ${model.architecture}: ${parts.join('; ')}; pass the vars made by this model's init or by fromPretrained`);
  }
  const ordered = Ptree.fromPaths(specs.map((s) => [s.path, have.get(s.path)!] as [string, Tensor]));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(configToJson(model.config, model.architecture), null, 2) + '\n');
  // kaun's checkpoint writer: one model.safetensors, or HF-named shards and index above the size;
  // files of an earlier save under the same name are removed once the new ones are complete
  await Checkpoint.save(path.join(dir, 'model.safetensors'), ordered, { metadata: { format: 'pt' }, maxShardSize: options.maxShardSize ?? '5GB' });
  const files = ['config.json', ...(await readdir(dir)).filter((f) => /^model(-\d{5}-of-\d{5})?\.safetensors$|^model\.safetensors\.index\.json$/.test(f)).sort()];
  if (tokenizer !== undefined) {
    tokenizer.save(dir);
    files.push(...(await readdir(dir)).filter((f) => /^(tokenizer\.json|vocab\.txt|tokenizer_config\.json)$/.test(f)));
  }
  return { dir, files };
}
