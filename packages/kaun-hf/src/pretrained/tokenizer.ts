/**
 * The tokenizer of a pretrained model: its files fetched from the Hub (or found in a folder)
 * and read by {@link Tokenizer.fromFolder}.
 * @module
 */
import * as path from 'node:path';
import type { HubOptions } from '../hub/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import { optionalFile } from './source.js';

/** The files besides the vocabulary a tokenizer may have; each is fetched when the repository has it. */
const SIDE_FILES = ['tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

/**
 * The tokenizer of a repository or folder: `tokenizer.json` (else `vocab.txt`) with
 * `tokenizer_config.json`, `special_tokens_map.json` and `chat_template.jinja` when present;
 * `undefined` when the source has neither `tokenizer.json` nor `vocab.txt`.
 * @internal
 */
export async function loadTokenizer(modelId: string, hub: HubOptions): Promise<Tokenizer | undefined> {
  for (const f of SIDE_FILES) await optionalFile(modelId, f, hub);
  const file = (await optionalFile(modelId, 'tokenizer.json', hub)) ?? (await optionalFile(modelId, 'vocab.txt', hub));
  return file === undefined ? undefined : Tokenizer.fromFolder(path.dirname(file));
}
