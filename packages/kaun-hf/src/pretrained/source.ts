/**
 * Where a pretrained model comes from: a Hub id, an `hf://` address or a local folder; and the
 * optional files of a repository. Internal.
 * @module
 */
import type * as nx from '@raven/nx';
import { EntryNotFoundError, LocalEntryNotFoundError, ModelLoadError } from '../errors.js';
import { type HubOptions, downloadFile } from '../hub/index.js';
import { startDeadline } from '../hub/config.js';

/** The Hub options every `fromPretrained` accepts besides its own (they pass to the Hub client). */
export const HUB_OPTION_KEYS: nx.OptionKeys<HubOptions> = {
  revision: true, token: true, cacheDir: true, offline: true, endpoint: true, onProgress: true,
  retry: true, lock: true, timeoutMs: true, deadlineMs: true, symlinks: true, signal: true, dispatcher: true,
};

/**
 * The repository id or folder a source names (`hf://org/name/` normalised to `hf://org/name`, which the Hub client
 * always takes as the Hub, never as a folder of that name).
 * @param where - the calling function, for messages (`Bert.fromPretrained`).
 * @throws ModelLoadError for an empty source or an `hf://` address without a name.
 * @internal
 */
export function resolveSource(source: string, where: string): string {
  if (typeof source !== 'string' || source.trim() === '') throw new ModelLoadError(`${where}: source must be a Hub model id, an hf:// address or a folder, got ${JSON.stringify(source)}`);
  if (source.startsWith('hf://')) {
    const id = source.slice('hf://'.length).replace(/\/+$/, '');
    if (id === '') throw new ModelLoadError(`${where}: "${source}" names no repository; expected hf://org/name`);
    return `hf://${id}`; // kept: the Hub client reads hf:// as the Hub even where a folder "org/name" exists
  }
  return source;
}

/** The Hub options among `options` (the keys of {@link HUB_OPTION_KEYS}). @internal */
export function hubOptionsOf(options: object): HubOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (k in HUB_OPTION_KEYS && v !== undefined) out[k] = v;
  return startDeadline(out as HubOptions); // one deadline for every file of the model
}

function isAbsent(err: unknown): boolean {
  return err instanceof EntryNotFoundError || err instanceof LocalEntryNotFoundError;
}

/** The local path of a repository file, `undefined` when the repository has no such file. @internal */
export async function optionalFile(modelId: string, filename: string, hub: HubOptions): Promise<string | undefined> {
  try {
    return await downloadFile({ ...hub, modelId, filename });
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}
