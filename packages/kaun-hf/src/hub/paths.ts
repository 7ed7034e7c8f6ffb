/**
 * Validation of every name that becomes part of a path or URL: repository ids, file names,
 * revisions and server values (ETag, commit). Internal to the Hub client.
 * @module
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

import { HubError, UnsafePathError } from '../errors.js';

const COMMIT_RE = /^[0-9a-f]{40}$/;
const REPO_SEGMENT_RE = /^[A-Za-z0-9_.-]+$/;
const SAFE_NAME_RE = /^[A-Za-z0-9_.-]+$/;

/** Where a file name came from, for the error message. */
export type NameSource = 'argument' | 'server' | 'index';

/** Whether `revision` is a full commit hash (40 lowercase hex digits). */
export function isCommitHash(revision: string): boolean {
  return COMMIT_RE.test(revision);
}

/**
 * Checks a repository id (`name` or `org/name`, letters, digits, `_`, `.`, `-`).
 * @throws {HubError} When the id is malformed.
 */
export function checkRepoId(
  repoId: string,
  where: string,
  hint = '; a local folder must exist (or start with "./" or "/")',
): string {
  const parts = typeof repoId === 'string' ? repoId.split('/') : [];
  const ok =
    parts.length >= 1 &&
    parts.length <= 2 &&
    (parts[parts.length - 1] ?? '').length <= 96 &&
    parts.every(
      (p) =>
        REPO_SEGMENT_RE.test(p) &&
        !/^[-.]|[-.]$/.test(p) &&
        !p.includes('--') &&
        !p.includes('..'),
    );
  if (!ok) {
    throw new HubError(
      `${where}: expected a repository id like "org/name" (letters, digits, "_", ".", "-", not at either end ` +
        `of a part; no "--" or ".."; a name of at most 96 characters), got ${JSON.stringify(repoId)}${hint}`,
    );
  }
  return repoId;
}

/**
 * Splits a path that must stay inside its folder into segments, refusing anything that could
 * leave it: empty names, absolute paths, drive letters, backslashes, NUL, `.`/`..` and empty
 * segments.
 * @throws {UnsafePathError} When the path is unsafe.
 */
export function safeSegments(name: string, what: string, where: string, source: NameSource): string[] {
  const from =
    source === 'argument' ? '' : source === 'server' ? ' (sent by the server)' : ' (listed in an index file)';
  const refuse = (why: string): never => {
    throw new UnsafePathError(
      `${where}: refusing ${what} ${JSON.stringify(name)}${from}: ${why}; ` +
        `expected a relative path with "/" separators that stays inside the repository`,
    );
  };
  if (typeof name !== 'string' || name.length === 0) refuse('it is empty');
  if (name.includes('\0')) refuse('it contains a NUL character');
  if (name.includes('\\')) refuse('it contains a backslash');
  if (name.startsWith('/') || isAbsolute(name)) refuse('it is an absolute path');
  if (/^[A-Za-z]:/.test(name)) refuse('it starts with a drive letter');
  const segments = name.split('/');
  for (const s of segments) {
    if (s === '') refuse('it has an empty path segment');
    if (s === '.' || s === '..') refuse(`it has a "${s}" segment`);
  }
  return segments;
}

/**
 * Joins checked segments under `root` and checks again that the result stays inside it.
 * @throws {UnsafePathError} When it would not.
 */
export function joinInside(root: string, segments: string[], where: string): string {
  const full = resolve(root, ...segments);
  const rel = relative(resolve(root), full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw new UnsafePathError(`${where}: path ${JSON.stringify(segments.join('/'))} leaves ${root}; refused`);
  }
  return full;
}

/**
 * Checks a value the server sent that becomes one file name (ETag, commit hash).
 * @throws {UnsafePathError} When it holds anything but letters, digits, `_`, `.`, `-`.
 */
export function safeName(value: string, what: string, where: string): string {
  if (!SAFE_NAME_RE.test(value) || value === '.' || value === '..' || value.startsWith('.')) {
    throw new UnsafePathError(
      `${where}: the server sent ${what} ${JSON.stringify(value)}, which cannot be used as a file name; ` +
        `expected letters, digits, "_", "." and "-" only (a Hugging Face Hub sends hex hashes)`,
    );
  }
  return value;
}

/** Folder name of a model repository in the cache: `models--org--name`. */
export function repoFolderName(repoId: string): string {
  return `models--${repoId.split('/').join('--')}`;
}

/** The `resolve` address of a file: `{endpoint}/{repo}/resolve/{revision}/{path}`, revision percent-encoded whole. */
export function resolveUrl(endpoint: string, repoId: string, revision: string, segments: string[]): string {
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${segments.map(encodeURIComponent).join('/')}`;
}
