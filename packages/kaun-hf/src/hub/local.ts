/**
 * A `modelId` may name a local folder in Hugging Face layout; then files are read from it
 * directly, without network or cache. `hf://org/name` always names the Hub. Internal.
 * @module
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

import { HubError } from '../errors.js';

/** The scheme that always means the Hub, even where a local folder of the same name exists. */
export const HF_SCHEME = 'hf://';

/**
 * Whether `modelId` can only be a path: absolute, `.`/`..`/`~` first, a backslash, a trailing
 * `/`, or more than two parts (a repository id has at most `namespace/name`).
 */
export function looksLikePath(modelId: string): boolean {
  return (
    isAbsolute(modelId) ||
    modelId === '.' ||
    modelId === '..' ||
    modelId.startsWith('./') ||
    modelId.startsWith('../') ||
    modelId.startsWith('~') ||
    modelId.includes('\\') ||
    modelId.endsWith('/') ||
    modelId.split('/').length > 2
  );
}

/** The repository id of a Hub source: `hf://org/name` becomes `org/name`; anything else is returned as is. */
export function hubRepoId(modelId: string): string {
  return modelId.startsWith(HF_SCHEME) ? modelId.slice(HF_SCHEME.length).replace(/\/+$/, '') : modelId;
}

/**
 * The absolute folder `modelId` names when it is an existing directory (checked before treating
 * it as a repository id, as transformers does). `hf://...` is never a folder.
 * @returns The folder, or `undefined` when `modelId` is a repository id.
 * @throws {HubError} "no such folder" when `modelId` looks like a path but no folder is there.
 */
export async function localModelDir(modelId: string, where: string): Promise<string | undefined> {
  if (typeof modelId === 'string' && modelId.startsWith(HF_SCHEME)) return undefined;
  try {
    if ((await stat(modelId)).isDirectory()) return resolve(modelId);
  } catch {
    // not a local path
  }
  if (typeof modelId === 'string' && looksLikePath(modelId)) {
    throw new HubError(
      `${where}: no such folder: "${modelId}" (${resolve(modelId)}); for a Hub repository use its id ` +
        `("org/name" or "hf://org/name")`,
    );
  }
  return undefined;
}
