/**
 * A `modelId` may name a local folder in Hugging Face layout; then files are read from it
 * directly, without network or cache. Internal.
 * @module
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

import { HubError } from '../errors.js';

function looksLikePath(modelId: string): boolean {
  return (
    isAbsolute(modelId) ||
    modelId === '.' ||
    modelId === '..' ||
    modelId.startsWith('./') ||
    modelId.startsWith('../') ||
    modelId.includes('\\')
  );
}

/**
 * The absolute folder `modelId` names when it is an existing directory (checked before treating
 * it as a repository id, as transformers does).
 * @returns The folder, or `undefined` when `modelId` is a repository id.
 * @throws {HubError} When `modelId` looks like a path (absolute, `./`, `../`) but no folder is there.
 */
export async function localModelDir(modelId: string, where: string): Promise<string | undefined> {
  try {
    if ((await stat(modelId)).isDirectory()) return resolve(modelId);
  } catch {
    // not a local path
  }
  if (looksLikePath(modelId)) {
    throw new HubError(`${where}: local folder "${modelId}" (${resolve(modelId)}) does not exist or is not a folder`);
  }
  return undefined;
}
