/**
 * The first steps of every `fromPretrained`: resolve the source, read `config.json` (and
 * `generation_config.json`). The tokenizer and the weights come after the family has checked the
 * configuration, so a wrong model fails before a large download.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ModelLoadError } from '../errors.js';
import { type HubOptions, loadConfig } from '../hub/index.js';
import { hubOptionsOf, optionalFile, resolveSource } from './source.js';

/** What {@link openPretrained} found. @internal */
export interface PretrainedSource {
  /** The repository id or folder. */
  modelId: string;
  /** The Hub options to fetch more files with. */
  hub: HubOptions;
  /** The parsed `config.json`. */
  config: Record<string, unknown>;
  /** The parsed `generation_config.json`, when the source has one and it was asked for. */
  generationConfig?: Record<string, unknown>;
}

/**
 * Resolves `source`, reads its `config.json`, and optionally its `generation_config.json`.
 * `options` holds the caller's options; the Hub options among them are used.
 * @throws ModelLoadError for a bad source or an unreadable generation config; the Hub client's
 *   errors (`RepositoryNotFoundError`, `EntryNotFoundError` for a missing `config.json`, `OfflineError`, ...) pass through.
 * @internal
 */
export async function openPretrained(
  where: string,
  source: string,
  options: object,
  wants: { generationConfig: boolean },
): Promise<PretrainedSource> {
  const modelId = resolveSource(source, where);
  const hub = hubOptionsOf(options);
  const config = await loadConfig(modelId, hub);
  const out: PretrainedSource = { modelId, hub, config };
  if (wants.generationConfig) {
    const file = await optionalFile(modelId, 'generation_config.json', hub);
    if (file !== undefined) out.generationConfig = await readJsonObject(file, where);
  }
  return out;
}

/** Reads a JSON object from a file. @throws ModelLoadError naming the file. @internal */
export async function readJsonObject(file: string, where: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new ModelLoadError(`${where}: ${file} is not valid JSON (${(cause as Error).message}); fix or delete the file`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ModelLoadError(`${where}: ${file} should hold a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}
