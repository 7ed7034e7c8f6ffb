/**
 * Which files hold a repository's weights, and fetching them (`downloadWeights`), plus
 * `loadConfig`. Nothing here imports `@raven/nx`, so the command-line tool stays light.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { checkOptions } from '@raven/nx/options';

import {
  EntryNotFoundError,
  HubError,
  LocalEntryNotFoundError,
  NetworkError,
  UnsupportedWeightsError,
} from '../errors.js';
import { HUB_OPTION_KEYS, type HubOptions } from './config.js';
import { fetchFile, probeFile } from './download-file.js';
import { safeSegments } from './paths.js';

/** Index of a sharded checkpoint; looked for first. */
export const WEIGHTS_INDEX = 'model.safetensors.index.json';
/** Single-file checkpoints, in the order they are looked for after the index. */
export const WEIGHTS_FILES = ['model.safetensors', 'pytorch_model.safetensors', 'model-00001-of-00001.safetensors'];
/** Pickle checkpoints that are recognised (to explain) but never loaded. */
const PICKLE_FILES = ['pytorch_model.bin', 'pytorch_model.bin.index.json'];

/** The weight files of a repository, downloaded. */
export interface WeightFiles {
  /** Paths of the files inside the repository (shards in order of first appearance in the index). */
  filenames: string[];
  /** Local paths, in the same order. */
  paths: string[];
  /** Local path of `model.safetensors.index.json` for a sharded checkpoint. */
  indexPath?: string;
  /** The index's `weight_map` (tensor name -> shard file) for a sharded checkpoint. */
  weightMap?: Record<string, string>;
}

function isUnavailableHere(err: unknown): boolean {
  return err instanceof LocalEntryNotFoundError || err instanceof NetworkError;
}

async function readJson(path: string, what: string, where: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new HubError(`${where}: ${what} (${path}) is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

function parseWeightMap(data: unknown, path: string, where: string): Record<string, string> {
  const map = (data as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new HubError(
      `${where}: ${path} has no "weight_map" object; expected {"weight_map": {"tensor": "shard file"}}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
    if (typeof file !== 'string') {
      throw new HubError(`${where}: ${path}: weight_map["${name}"] must be a file name, got ${JSON.stringify(file)}`);
    }
    safeSegments(file, 'shard file', where, 'index');
    out[name] = file;
  }
  return out;
}

/**
 * Downloads (or finds in the cache or a local folder) the weight files `loadWeights` reads:
 * `model.safetensors.index.json` and all its shards first, else the first of
 * `model.safetensors`, `pytorch_model.safetensors`, `model-00001-of-00001.safetensors`.
 * Offline, or when the Hub cannot be reached, the cached files are used.
 * @param modelId - Repository id or local folder.
 * @param options - Hub options ({@link HubOptions}); `revision` defaults to `'main'`.
 * @param where - Function name for messages. Default `'downloadWeights'`.
 * @returns The files, in load order.
 * @throws {UnsupportedWeightsError} When the repository has only `pytorch_model.bin` (pickle).
 * @throws {EntryNotFoundError} When it has no weights in a known file.
 * @throws {UnsafePathError} When the index names a shard outside the repository.
 * @throws {OfflineError} / {NetworkError} When no weight file is cached and the Hub is not used or not reachable.
 * @example
 * ```ts
 * const { paths } = await downloadWeights('google-bert/bert-base-uncased');
 * ```
 */
export async function downloadWeights(
  modelId: string,
  options: HubOptions = {},
  where = 'downloadWeights',
): Promise<WeightFiles> {
  checkOptions(where, options, HUB_OPTION_KEYS);
  let unavailable: unknown;
  const attempt = async (filename: string): Promise<string | undefined> => {
    try {
      return await fetchFile({ ...options, modelId, filename }, where);
    } catch (err) {
      if (err instanceof EntryNotFoundError) return undefined;
      if (isUnavailableHere(err)) {
        unavailable ??= err;
        return undefined;
      }
      throw err;
    }
  };

  const indexPath = await attempt(WEIGHTS_INDEX);
  if (indexPath !== undefined) {
    const weightMap = parseWeightMap(await readJson(indexPath, WEIGHTS_INDEX, where), indexPath, where);
    const filenames = [...new Set(Object.values(weightMap))];
    const paths: string[] = [];
    for (const filename of filenames) paths.push(await fetchFile({ ...options, modelId, filename }, where));
    return { filenames, paths, indexPath, weightMap };
  }
  for (const filename of WEIGHTS_FILES) {
    const path = await attempt(filename);
    if (path !== undefined) return { filenames: [filename], paths: [path] };
  }
  if (unavailable !== undefined) throw unavailable;
  for (const pickle of PICKLE_FILES) {
    if (await probeFile({ ...options, modelId, filename: pickle }, where)) {
      throw new UnsupportedWeightsError(
        `${where}: "${modelId}" has its weights only as ${pickle.replace('.index.json', '')} (a PyTorch pickle). ` +
          `Pickle files are not loaded: unpickling runs code stored in the file, so a checkpoint could execute ` +
          `arbitrary code on this machine. Convert it to safetensors, e.g. in Python ` +
          `\`AutoModel.from_pretrained("${modelId}").save_pretrained("out", safe_serialization=True)\` ` +
          `and load the folder "out", or look for a "convert to safetensors" pull request on the Hub ` +
          `and pass its revision (\`revision: "refs/pr/N"\`)`,
      );
    }
  }
  throw new EntryNotFoundError(
    `${where}: "${modelId}" (revision "${options.revision ?? 'main'}") has no weights in a file that is loaded; ` +
      `looked for ${[WEIGHTS_INDEX, ...WEIGHTS_FILES].join(', ')}`,
  );
}

/**
 * Downloads (or finds) `config.json` of a repository or local folder and parses it.
 * @param modelId - Repository id or local folder.
 * @param options - Hub options ({@link HubOptions}).
 * @returns The parsed JSON object.
 * @throws {HubError} When the file is not a JSON object; download errors as for `downloadFile`.
 * @example
 * ```ts
 * const config = await loadConfig('google-bert/bert-base-uncased');
 * config.hidden_size; // 768
 * ```
 */
export async function loadConfig(modelId: string, options: HubOptions = {}): Promise<Record<string, unknown>> {
  checkOptions('loadConfig', options, HUB_OPTION_KEYS);
  const path = await fetchFile({ ...options, modelId, filename: 'config.json' }, 'loadConfig');
  const data = await readJson(path, 'config.json', 'loadConfig');
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new HubError(
      `loadConfig: config.json of "${modelId}" (${path}) must be a JSON object, got ${JSON.stringify(data)?.slice(
        0,
        80,
      )}`,
    );
  }
  return data as Record<string, unknown>;
}
