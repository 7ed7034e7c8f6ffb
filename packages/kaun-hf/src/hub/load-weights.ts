/**
 * `loadWeights`: a repository's safetensors weights as `[name, tensor]` pairs.
 * @module
 */
import * as nx from '@raven/nx';

import { ModelLoadError } from '../errors.js';
import { HUB_OPTION_KEYS, type HubOptions } from './config.js';
import { downloadWeights } from './weights.js';

/**
 * Downloads (or finds in the cache or a local folder) a checkpoint's weights and reads them:
 * `model.safetensors.index.json` first (every shard downloaded, tensors merged), else
 * `model.safetensors`, `pytorch_model.safetensors`, `model-00001-of-00001.safetensors`.
 * Pickle checkpoints (`pytorch_model.bin`) are refused with an explanation.
 * @param modelId - Repository id (`org/name`) or a local folder in Hugging Face layout.
 * @param options - Hub options ({@link HubOptions}); `revision` defaults to `'main'`.
 * @returns `[name, tensor]` pairs in file order (shards in index order); the caller owns the tensors.
 * @throws {UnsupportedWeightsError} When the repository has only `pytorch_model.bin`.
 * @throws {EntryNotFoundError} When it has no weights in a known file.
 * @throws {ModelLoadError} When shards repeat a tensor or the index names tensors its shards lack.
 * @throws {UnsafePathError} When the index names a shard outside the repository.
 * @throws {HubError} Download errors as for `downloadFile`.
 * @example
 * ```ts
 * const weights = await loadWeights('google-bert/bert-base-uncased');
 * const embeddings = new Map(weights).get('bert.embeddings.word_embeddings.weight');
 * ```
 */
export async function loadWeights(modelId: string, options: HubOptions = {}): Promise<Array<[string, nx.Tensor]>> {
  nx.checkOptions('loadWeights', options, HUB_OPTION_KEYS);
  const files = await downloadWeights(modelId, options, 'loadWeights');
  const out: Array<[string, nx.Tensor]> = [];
  const origin = new Map<string, string>();
  try {
    for (let i = 0; i < files.paths.length; i++) {
      const filename = files.filenames[i] as string;
      const { tensors } = await nx.io.loadSafetensors(files.paths[i] as string);
      out.push(...tensors); // owned from here: freed below if anything fails
      for (const [name] of tensors) {
        const first = origin.get(name);
        if (first !== undefined) {
          throw new ModelLoadError(
            `loadWeights: tensor "${name}" of "${modelId}" is in both ${first} and ${filename}; ` +
              `a checkpoint must hold each tensor once`,
          );
        }
        origin.set(name, filename);
      }
    }
    if (files.weightMap !== undefined) {
      const missing = Object.entries(files.weightMap).filter(([name]) => !origin.has(name));
      if (missing.length > 0) {
        const list = missing.slice(0, 5).map(([name, shard]) => `"${name}" (in ${shard})`);
        throw new ModelLoadError(
          `loadWeights: the index of "${modelId}" lists ${missing.length} tensor(s) its shards do not hold: ` +
            `${list.join(', ')}${
              missing.length > 5 ? ', ...' : ''
            }; the checkpoint is incomplete or the index is stale`,
        );
      }
    }
  } catch (err) {
    nx.dispose(out.map(([, t]) => t));
    throw err;
  }
  return out;
}
