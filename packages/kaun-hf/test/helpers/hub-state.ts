/**
 * The state of the fake Hub (test helper): repositories with commits, branches and tags; blobs
 * (regular files kept in memory, LFS objects in memory or on disk); accounts behind tokens.
 * @module
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** File contents: text (UTF-8) or bytes. */
export type FileContent = string | Uint8Array;

/** One repository of the fake Hub as configured. */
export interface FakeRepo {
  /** Files of branch `main`. */
  files?: Record<string, FileContent>;
  /** A folder whose files (recursively) are added to `main` (under `files`, which win). */
  folder?: string;
  /** More branches: name -> files. */
  branches?: Record<string, Record<string, FileContent>>;
  /** Tags: name -> branch whose commit they point to at start. */
  tags?: Record<string, string>;
  /** Needs a valid token (else 401 RepoNotFound, like a missing repository). */
  private?: boolean;
  /** Needs an approved token (else 401/403 GatedRepo). */
  gated?: boolean;
}

/** The account behind a token. */
export interface FakeUser {
  /** User name: the namespace it may write to. */
  name: string;
  /** Organisations it may write to as well. */
  orgs?: string[];
  /** `false` for a read-only token (writes answer 403). Default true. */
  write?: boolean;
}

/** A file's content as the Hub stores it. */
export interface StoredBlob {
  size: number;
  sha256: string;
  /** Git blob id: sha1 of `blob <size>\0` and the bytes. */
  gitSha1: string;
  /** Served through the CDN (LFS) or inline (regular). */
  lfs: boolean;
  /** The bytes, when kept in memory. */
  bytes?: Buffer;
  /** A file holding the bytes, for large uploaded LFS objects. */
  disk?: string;
}

/** One commit. */
export interface CommitRecord {
  sha: string;
  parent: string | undefined;
  summary: string;
  description: string;
  files: Map<string, StoredBlob>;
}

/** One repository's state. */
export interface RepoState {
  id: string;
  private: boolean;
  gated: boolean;
  commits: Map<string, CommitRecord>;
  branches: Map<string, string>;
  tags: Map<string, string>;
}

export const toBuffer = (c: FileContent): Buffer => (typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c));
export const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex');
export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** Git's blob id: sha1 of `blob <size>\0<bytes>`. */
export const gitBlobSha = (b: Buffer): string => sha1(Buffer.concat([Buffer.from(`blob ${b.length}\0`), b]));
/** Default rule for files given at start: weights extensions or > 10 MB. */
export const DEFAULT_LFS = (path: string, bytes: Uint8Array): boolean =>
  /\.(safetensors|bin|h5|msgpack|onnx|pt|pth|ckpt|gguf)$/.test(path) || bytes.length > 10 * 1024 * 1024;
/** The `.gitattributes` a new repository starts with (the Hub's, shortened). */
export const GITATTRIBUTES = ['*.bin', '*.safetensors', '*.h5', '*.onnx', '*.pt', '*.pth', '*.ckpt', '*.gguf', '*.msgpack']
  .map((p) => `${p} filter=lfs diff=lfs merge=lfs -text`)
  .join('\n');

/** The pointer file git stores for an LFS object. */
export function lfsPointer(oid: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`);
}

export function readFolder(folder: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    const full = join(folder, name);
    if (statSync(full).isFile()) out[relative(folder, full).split(sep).join('/')] = readFileSync(full);
  }
  return out;
}

/** Repositories, LFS storage and accounts of one fake Hub. */
export class HubState {
  readonly repos = new Map<string, RepoState>();
  /** LFS objects by sha256 (what the CDN serves and storage holds). */
  readonly lfs = new Map<string, { blob: StoredBlob; file: string }>();
  private counter = 0;

  constructor(
    readonly isLfs: (path: string, bytes: Uint8Array) => boolean,
    readonly users: Map<string, FakeUser>,
    readonly approved: Set<string>,
  ) {}

  /** A blob for bytes given at start or in a commit's `file` line. */
  blobOf(path: string, bytes: Buffer, lfs = this.isLfs(path, bytes)): StoredBlob {
    const blob: StoredBlob = { size: bytes.length, sha256: sha256(bytes), gitSha1: gitBlobSha(bytes), lfs, bytes };
    if (lfs && !this.lfs.has(blob.sha256)) this.lfs.set(blob.sha256, { blob, file: path });
    return blob;
  }

  /** Records a commit of `files` (whole tree) on top of `parent`; returns its sha. */
  commit(state: RepoState, files: Map<string, StoredBlob>, meta: { parent?: string; summary: string; description?: string }): string {
    const listing = [...files.entries()].sort().map(([p, b]) => `${p}:${b.lfs ? b.sha256 : b.gitSha1}`);
    const sha = sha1(`${state.id}\n${meta.summary}\n${this.counter++}\n${listing.join('\n')}`);
    state.commits.set(sha, { sha, parent: meta.parent, summary: meta.summary, description: meta.description ?? '', files });
    return sha;
  }

  /** Adds a repository as configured. */
  addRepo(id: string, spec: FakeRepo): RepoState {
    const state: RepoState = { id, private: spec.private === true, gated: spec.gated === true, commits: new Map(), branches: new Map(), tags: new Map() };
    this.repos.set(id, state);
    const main = { ...(spec.folder ? readFolder(spec.folder) : {}), ...(spec.files ?? {}) };
    const filesOf = (files: Record<string, FileContent>): Map<string, StoredBlob> =>
      new Map(Object.entries(files).map(([p, c]) => [p, this.blobOf(p, toBuffer(c))]));
    state.branches.set('main', this.commit(state, filesOf(main), { summary: `${id}@main` }));
    for (const [branch, files] of Object.entries(spec.branches ?? {})) {
      state.branches.set(branch, this.commit(state, filesOf(files), { summary: `${id}@${branch}` }));
    }
    for (const [tag, branch] of Object.entries(spec.tags ?? {})) state.tags.set(tag, state.branches.get(branch) as string);
    return state;
  }

  /** A new, empty repository as the Hub creates one: `main` holds `.gitattributes`. */
  createRepo(id: string, isPrivate: boolean): RepoState {
    const state: RepoState = { id, private: isPrivate, gated: false, commits: new Map(), branches: new Map(), tags: new Map() };
    this.repos.set(id, state);
    const files = new Map([['.gitattributes', this.blobOf('.gitattributes', Buffer.from(`${GITATTRIBUTES}\n`), false)]]);
    state.branches.set('main', this.commit(state, files, { summary: 'initial commit' }));
    return state;
  }

  repo(id: string): RepoState {
    const state = this.repos.get(id);
    if (!state) throw new Error(`hub-server: no repository ${id}`);
    return state;
  }

  /** The commit a branch, tag or commit id names. */
  resolve(state: RepoState, rev: string): string | undefined {
    return state.branches.get(rev) ?? state.tags.get(rev) ?? (state.commits.has(rev) ? rev : undefined);
  }

  /** The account of a token: configured users first, else any valid token is user "user". */
  userOf(token: string | undefined): FakeUser | undefined {
    if (token === undefined) return undefined;
    return this.users.get(token);
  }

  /** Whether the token's account may write to repository (or namespace) `id`. */
  canWrite(user: FakeUser | undefined, id: string): boolean {
    if (user === undefined || user.write === false) return false;
    const ns = id.split('/')[0];
    return ns === user.name || (user.orgs ?? []).includes(ns as string);
  }

  /** Bytes of a blob (read from disk for a large uploaded object). */
  bytesOf(blob: StoredBlob): Buffer {
    return blob.bytes ?? readFileSync(blob.disk as string);
  }
}
