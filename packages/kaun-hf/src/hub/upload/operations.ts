/**
 * The operations of a commit: add a file (from a local path or bytes) or delete a file or
 * folder; and the check of paths inside a repository.
 * @module
 */
import { UnsafePathError } from '../../errors.js';
import { safeSegments } from '../paths.js';

/** Adds (or replaces) a file. */
export interface CommitAdd {
  /** Discriminant. */
  kind: 'add';
  /** Path in the repository, with `/` (`config.json`, `weights/model.safetensors`). */
  pathInRepo: string;
  /** A local file (read when needed, streamed) or the bytes themselves. */
  source: string | Uint8Array;
}

/** Deletes a file, or a folder and everything under it. */
export interface CommitDelete {
  /** Discriminant. */
  kind: 'delete';
  /** Path in the repository; a folder when `isFolder` (or when it ends with `/`). */
  pathInRepo: string;
  /** Whether it is a folder. Default: whether `pathInRepo` ends with `/`. */
  isFolder?: boolean;
}

/** One operation of a commit. */
export type CommitOperation = CommitAdd | CommitDelete;

/** Folders nothing may be committed into (huggingface_hub's `FORBIDDEN_FOLDERS`). */
const FORBIDDEN_FOLDERS = ['.git', '.cache'];

/**
 * Checks a path inside a repository and returns it normalised (a leading `./` removed; a
 * trailing `/` kept out). Refused: absolute paths, `..` and `.` segments, backslashes, empty
 * segments, and anything under `.git/` or `.cache/`.
 * @throws {UnsafePathError} Before any request.
 */
export function checkPathInRepo(path: string, where: string): string {
  const trimmed = typeof path === 'string' ? path.replace(/^(\.\/)+/, '').replace(/\/+$/, '') : path;
  const segments = safeSegments(trimmed, 'path in the repository', where, 'argument');
  const forbidden = segments.find((s) => FORBIDDEN_FOLDERS.includes(s));
  if (forbidden !== undefined) {
    throw new UnsafePathError(
      `${where}: refusing path in the repository ${JSON.stringify(path)}: nothing may be committed under a "${forbidden}/" folder`,
    );
  }
  return segments.join('/');
}
