/**
 * `savePretrained`: any Hugging Face format model (a layer carrying an {@link HfDescriptor}) in
 * the layout transformers reads: `config.json`, `generation_config.json`, safetensors weights
 * (sharded above a size, with `model.safetensors.index.json`) and the tokenizer's files.
 * @module
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Checkpoint, type Layer, Ptree } from '@raven/kaun';
import { ModelLoadError } from '../errors.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { HfDescriptor, PretrainedModel } from './model.js';

/** Options of {@link savePretrained}. */
export interface SavePretrainedOptions {
  /** The model: a layer of a Hugging Face format family (`Bert.*`, `CausalLM.fromPretrained`, `Gpt2.*`, `Llama.*`, `Gemma.*`). */
  model: PretrainedModel;
  /** Its variables. */
  vars: Layer.Vars;
  /** A tokenizer to save beside the model (`tokenizer.json` or `vocab.txt`, `tokenizer_config.json`, `chat_template.jinja`). */
  tokenizer?: Tokenizer;
  /**
   * Largest shard: bytes, or a string such as `'5GB'`, `'500MB'`, `'100KiB'` (transformers'
   * convention: GB = 10^9, GiB = 2^30). A checkpoint larger than this is split into
   * `model-00001-of-0000N.safetensors` files and `model.safetensors.index.json`. Default `'5GB'`.
   */
  maxShardSize?: number | string;
  /** Storage dtype of the weights: `'F32'` (lossless), `'F16'` or `'BF16'` (half the size, rounded). Default `'F32'`. */
  dtype?: 'F32' | 'F16' | 'BF16';
}

const SAVE_KEYS: nx.OptionKeys<SavePretrainedOptions> = { model: true, vars: true, tokenizer: true, maxShardSize: true, dtype: true };

/** What {@link savePretrained} wrote. */
export interface SavedFiles {
  /** The folder. */
  dir: string;
  /** The files written, relative to `dir`. */
  files: string[];
}

const TORCH_DTYPE = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const;

/**
 * The model's parameters in checkpoint order, checked against its descriptor: every parameter
 * present with its shape and float32, nothing else.
 * @throws ModelLoadError listing what is missing, extra or of the wrong shape.
 * @internal
 */
export function orderedParams(fn: string, hf: HfDescriptor, vars: Layer.Vars): Array<[string, Tensor]> {
  const entries = Ptree.flattenWithPaths(vars.params);
  const specs = hf.paramSpecs();
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
      ...(extra.length > 0 ? [`${extra.length} key(s) that are not parameters of ${hf.architecture}: ${list(extra)}`] : []),
      ...wrong.slice(0, 5),
    ];
    throw new ModelLoadError(`${fn}: the variables do not fit ${hf.architecture}: ${parts.join('; ')}; pass the vars made by this model's init or by fromPretrained`);
  }
  return specs.map((s) => [s.path, have.get(s.path)!]);
}

const JSON_TEXT = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

/**
 * Writes a model in Hugging Face layout, the one entry every family shares (an upload to the Hub
 * is this plus the upload): `config.json` (with `architectures` and the storage `dtype`),
 * `generation_config.json` for generative models, the weights with the Hugging Face key names
 * (metadata `format: pt`) in one `model.safetensors` or, above `maxShardSize`, in shards
 * `model-00001-of-0000N.safetensors` with `model.safetensors.index.json` (kaun's
 * `Checkpoint.save`, which removes the weight files of an earlier save once the new ones are
 * complete), and the tokenizer's files when a tokenizer is given. transformers'
 * `from_pretrained(dir)` and this package's `fromPretrained` load the result.
 * @param dir - the folder (created if missing).
 * @param options - see {@link SavePretrainedOptions}.
 * @returns the folder and the files written.
 * @throws ModelLoadError when `model` is not a Hugging Face format model or the variables do not
 *   hold exactly its parameters with their shapes; OptionError for an unknown option.
 * @example
 * ```ts
 * const { model, vars, tokenizer } = await CausalLM.fromPretrained('fixtures/gpt2-tiny');
 * await savePretrained('out/my-gpt2', { model, vars, tokenizer });
 * ```
 */
export async function savePretrained(dir: string, options: SavePretrainedOptions): Promise<SavedFiles> {
  return writePretrained('savePretrained', dir, options);
}

/** {@link savePretrained} with the caller's name in messages. @internal */
export async function writePretrained(fn: string, dir: string, options: SavePretrainedOptions): Promise<SavedFiles> {
  nx.checkOptions(fn, options, SAVE_KEYS);
  const { model, vars, tokenizer } = options;
  const hf = (model as Partial<PretrainedModel> | undefined)?.hf;
  if (!hf || typeof hf.paramSpecs !== 'function' || typeof hf.configJson !== 'function') {
    throw new ModelLoadError(`${fn}: options.model must be a Hugging Face format model (a layer from Bert.*, CausalLM.fromPretrained, Gpt2.*, Llama.* or Gemma.*)`);
  }
  const dtype = options.dtype ?? 'F32';
  if (!(dtype in TORCH_DTYPE)) throw new ModelLoadError(`${fn}: dtype must be 'F32', 'F16' or 'BF16', got ${JSON.stringify(dtype)}`);
  const ordered = Ptree.fromPaths(orderedParams(fn, hf, vars));
  const config = hf.configJson();
  config['architectures'] = [hf.architecture];
  if ('torch_dtype' in config) config['torch_dtype'] = TORCH_DTYPE[dtype];
  else config['dtype'] = TORCH_DTYPE[dtype];
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'config.json'), JSON_TEXT(config));
  const files = ['config.json'];
  const generation = hf.generationConfigJson?.();
  if (generation !== undefined) {
    await writeFile(path.join(dir, 'generation_config.json'), JSON_TEXT(generation));
    files.push('generation_config.json');
  }
  // kaun's checkpoint writer: one model.safetensors, or HF-named shards and index above the size;
  // files of an earlier save under the same name are removed once the new ones are complete
  await Checkpoint.save(path.join(dir, 'model.safetensors'), ordered, {
    metadata: { format: 'pt' }, maxShardSize: options.maxShardSize ?? '5GB', ...(dtype === 'F32' ? {} : { dtype }),
  });
  files.push(...(await readdir(dir)).filter((f) => /^model(-\d{5}-of-\d{5})?\.safetensors$|^model\.safetensors\.index\.json$/.test(f)).sort());
  if (tokenizer !== undefined) files.push(...tokenizer.save(dir));
  return { dir, files };
}
