/**
 * Reading and writing tokenizer files with clear errors. Internal.
 * @internal
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { TokenizerError } from '../errors.js';

/** Reads a UTF-8 file. @throws TokenizerError naming the file when it cannot be read. @internal */
export function readText(file: string, where: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw new TokenizerError(`${where}: cannot read ${file} (${why})`, { cause: e });
  }
}

/** Reads a JSON object from a file. @throws TokenizerError when unreadable or not a JSON object. @internal */
export function readJsonObject(file: string, where: string): Record<string, unknown> {
  const text = readText(file, where);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${where}: ${file} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerError(`${where}: ${file} should hold a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/** Whether `file` exists and is a regular file. @internal */
export function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Writes files into `dir` (created if needed). @throws TokenizerError when writing fails. @internal */
export function writeFiles(dir: string, files: Record<string, string>, where: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  } catch (e) {
    throw new TokenizerError(`${where}: cannot write the tokenizer files to ${dir}: ${(e as Error).message}`, { cause: e });
  }
}
