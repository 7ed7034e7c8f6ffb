/**
 * Uploads as commits against the loopback Hub: a folder round trip (downloaded back with our
 * client, sha256 equal), the request sequence (preupload, LFS batch, storage without token,
 * verify, NDJSON commit), unchanged files not sent again, patterns, deletions, branches,
 * `.gitignore`; bad input refused before any request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  createBranch,
  createCommit,
  createRepo,
  deleteFile,
  deleteFiles,
  downloadFile,
  EntryNotFoundError,
  HubError,
  RevisionNotFoundError,
  type UploadProgress,
  uploadFile,
  uploadFolder,
  UnsafePathError,
} from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, noise, rejection, sha256Of, tempDirs, USERS, writeTree } from './_util.js';

const WEIGHTS = noise(300_000, 7);

describe('uploads', () => {
  let hub: HubServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    hub = await startHubServer({ repos: {}, users: USERS, multipartThreshold: 100_000, chunkSize: 64_000 });
  });
  afterAll(async () => hub.close());
  afterEach(() => {
    dirs.cleanup();
    hub.requests.length = 0;
  });
  const opts = () => ({ endpoint: hub.endpoint, token: 'hf_alice', retry: FAST.retry });
  const folderOf = (files: Record<string, string | Uint8Array>) => writeTree(dirs.make(), files);
  const fetchBack = async (repo: string, filename: string, revision?: string) =>
    readFileSync(await downloadFile({ modelId: repo, filename, endpoint: hub.endpoint, cacheDir: dirs.make(), token: 'hf_alice', ...(revision ? { revision } : {}) }));

  it('uploads a folder in one commit and our client downloads every file back, sha256 equal', async () => {
    await createRepo('org/round', opts());
    const files = {
      'config.json': '{"hidden_size": 8}',
      'sub/dir/notes.txt': 'hello',
      'model.safetensors': WEIGHTS,
      'small.bin': noise(5000, 3),
      'empty.txt': '',
    };
    const folder = folderOf(files);
    const events: UploadProgress[] = [];
    const info = await uploadFolder(folder, 'org/round', { ...opts(), commitMessage: 'First upload', commitDescription: 'Longer text', onProgress: (p) => events.push(p) });
    expect(info).toMatchObject({ repoId: 'org/round', committed: true, commitMessage: 'First upload', commitDescription: 'Longer text', unchanged: [] });
    expect(info.oid).toBe(hub.commitOf('org/round'));
    expect(info.commitUrl).toBe(`${hub.endpoint}/org/round/commit/${info.oid}`);
    expect([...info.added].sort()).toEqual(Object.keys(files).sort());
    expect(info.uploaded).toEqual(['model.safetensors', 'small.bin']);
    expect(hub.commitInfo('org/round')).toMatchObject({ summary: 'First upload', description: 'Longer text' });
    expect(hub.files('org/round')).toEqual(['.gitattributes', ...Object.keys(files)].sort());
    for (const [path, content] of Object.entries(files)) {
      expect(sha256Of(await fetchBack('org/round', path)), path).toBe(sha256Of(Buffer.from(content)));
    }
    expect(hub.isLfs('org/round', 'model.safetensors')).toBe(true);
    expect(hub.isLfs('org/round', 'config.json')).toBe(false);
    expect(hub.isLfs('org/round', 'empty.txt')).toBe(false); // empty files travel inside the commit
    const done = events.filter((e) => e.done).map((e) => `${e.phase}:${e.pathInRepo}`).sort();
    expect(done).toEqual(['hashing:model.safetensors', 'hashing:small.bin', 'uploading:model.safetensors', 'uploading:small.bin']);
    const up = events.filter((e) => e.phase === 'uploading' && e.pathInRepo === 'model.safetensors').map((e) => e.bytes);
    expect(up.at(-1)).toBe(WEIGHTS.length);
    expect(up.every((b, i) => i === 0 || b >= (up[i - 1] as number))).toBe(true);
  });

  it('follows the Hub flow: preupload, LFS batch, storage PUTs without token, verify, one NDJSON commit', async () => {
    await createRepo('org/flow', opts());
    hub.requests.length = 0;
    const weights = noise(300_000, 11); // bytes the storage does not hold yet
    await uploadFolder(folderOf({ 'config.json': '{}', 'model.safetensors': weights, 'tiny.safetensors': noise(1000, 12) }), 'org/flow', opts());
    const seq = hub.requests.map((r) => `${r.server} ${r.method} ${r.path.split('?')[0]!.replace(/[0-9a-f]{64}/, 'OID')}`);
    expect(seq[0]).toBe('hub POST /api/models/org/flow/preupload/main');
    expect(seq[1]).toBe('hub POST /org/flow.git/info/lfs/objects/batch');
    expect(seq.at(-1)).toBe('hub POST /api/models/org/flow/commit/main');
    // 300000 bytes in parts of 64000: 5 parts then the completion; the small file in one PUT
    expect(seq.filter((s) => s.startsWith('cdn PUT /upload/OID/part/'))).toHaveLength(5);
    expect(seq.filter((s) => s === 'cdn PUT /upload/OID')).toHaveLength(1);
    expect(seq.filter((s) => s === 'hub POST /org/flow.git/info/lfs/complete_multipart')).toHaveLength(1);
    expect(seq.filter((s) => s === 'hub POST /org/flow.git/info/lfs/objects/verify')).toHaveLength(2);
    const storage = hub.requests.filter((r) => r.server === 'cdn');
    expect(storage.every((r) => r.authorization === undefined)).toBe(true);
    expect(storage.reduce((n, r) => n + (r.bodyBytes ?? 0), 0)).toBe(weights.length + 1000);
    const complete = hub.requests.find((r) => r.path.includes('complete_multipart'));
    expect(complete?.authorization).toBeUndefined(); // as huggingface_hub: the upload id authorises it
    const api = hub.requests.filter((r) => r.server === 'hub' && !r.path.includes('complete_multipart'));
    expect(api.every((r) => r.authorization === 'Bearer hf_alice')).toBe(true);
  });

  it('files the branch already holds unchanged are not sent again; a changed file is', async () => {
    await createRepo('org/again', opts());
    const folder = folderOf({ 'config.json': '{"v":1}', 'model.safetensors': WEIGHTS, 'notes.md': 'n' });
    const first = await uploadFolder(folder, 'org/again', opts());
    hub.requests.length = 0;
    const same = await uploadFolder(folder, 'org/again', opts());
    expect(same).toMatchObject({ committed: false, oid: first.oid, added: [], unchanged: ['config.json', 'model.safetensors', 'notes.md'] });
    expect(hub.commitOf('org/again')).toBe(first.oid);
    expect(hub.requests.filter((r) => r.server === 'cdn' || r.path.includes('/commit/') || r.path.includes('lfs'))).toEqual([]);
    writeTree(folder, { 'config.json': '{"v":2}' });
    const changed = await uploadFolder(folder, 'org/again', opts());
    expect(changed).toMatchObject({ committed: true, added: ['config.json'], unchanged: ['model.safetensors', 'notes.md'] });
    expect((await fetchBack('org/again', 'config.json')).toString()).toBe('{"v":2}');
  });

  it('bytes storage already holds (another repository, an earlier try) are committed without sending them', async () => {
    await createRepo('org/first', opts());
    await createRepo('org/second', opts());
    await uploadFile('org/first', { ...opts(), source: WEIGHTS, pathInRepo: 'model.safetensors' });
    hub.requests.length = 0;
    const events: UploadProgress[] = [];
    const info = await uploadFile('org/second', { ...opts(), source: WEIGHTS, pathInRepo: 'w/model.safetensors', onProgress: (p) => events.push(p) });
    expect(info).toMatchObject({ committed: true, uploaded: [], added: ['w/model.safetensors'] });
    expect(hub.requests.filter((r) => r.server === 'cdn')).toEqual([]);
    expect(events.map((e) => e.phase)).toContain('stored');
    expect(sha256Of(await fetchBack('org/second', 'w/model.safetensors'))).toBe(sha256Of(WEIGHTS));
  });

  it('pathInRepo, allowPatterns and ignorePatterns (fnmatch: * crosses /); .git never uploaded', async () => {
    await createRepo('org/patterns', opts());
    const folder = folderOf({ 'a.json': '{}', 'b.txt': 'b', 'logs/x.log': 'x', 'sub/c.json': '{}', '.git/config': '[core]', 'sub/.git/HEAD': 'ref' });
    await uploadFolder(folder, 'org/patterns', { ...opts(), pathInRepo: 'up/', allowPatterns: ['*.json', 'logs/'], ignorePatterns: 'sub/*' });
    expect(hub.files('org/patterns')).toEqual(['.gitattributes', 'up/a.json', 'up/logs/x.log']);
    await uploadFolder(folder, 'org/patterns', opts());
    expect(hub.files('org/patterns')).not.toContain('.git/config');
    expect(hub.files('org/patterns')).toContain('b.txt');
  });

  it('deletePatterns remove remote files under pathInRepo in the same commit, re-uploaded ones are kept', async () => {
    await createRepo('org/prune', opts());
    await uploadFolder(folderOf({ 'm/model-00001-of-00003.safetensors': noise(100, 1), 'm/model-00002-of-00003.safetensors': noise(100, 2), 'm/model-00003-of-00003.safetensors': noise(100, 3), 'other.safetensors': noise(10) }), 'org/prune', opts());
    const info = await uploadFolder(folderOf({ 'model.safetensors': noise(100, 9) }), 'org/prune', { ...opts(), pathInRepo: 'm', deletePatterns: '*.safetensors' });
    expect(info.deleted.sort()).toEqual(['m/model-00001-of-00003.safetensors', 'm/model-00002-of-00003.safetensors', 'm/model-00003-of-00003.safetensors']);
    expect(hub.files('org/prune')).toEqual(['.gitattributes', 'm/model.safetensors', 'other.safetensors']);
  });

  it('deleteFile removes a file in a commit (downloading it then fails); deleteFiles by pattern and folder', async () => {
    await createRepo('org/del', opts());
    await uploadFolder(folderOf({ 'keep.txt': 'k', 'old.bin': noise(50), 'logs/a.log': 'a', 'logs/b/c.log': 'c', 'x.tmp': 't', 'y.tmp': 'u' }), 'org/del', opts());
    const before = hub.commitOf('org/del');
    const info = await deleteFile('org/del', 'old.bin', opts());
    expect(info).toMatchObject({ committed: true, deleted: ['old.bin'], commitMessage: 'Delete old.bin with kaun-hf' });
    expect(hub.commitInfo('org/del').parent).toBe(before);
    const err = await rejection(fetchBack('org/del', 'old.bin'));
    expect(err).toBeInstanceOf(EntryNotFoundError);
    expect((await fetchBack('org/del', 'old.bin', before)).length).toBe(50); // still in the earlier commit
    await deleteFiles('org/del', ['*.tmp', 'logs/'], opts());
    expect(hub.files('org/del')).toEqual(['.gitattributes', 'keep.txt']);
    expect(await rejection(deleteFile('org/del', 'nope.txt', opts()))).toBeInstanceOf(EntryNotFoundError);
    expect(await rejection(deleteFiles('org/del', ['*.nothing'], opts()))).toBeInstanceOf(EntryNotFoundError);
  });

  it('uploads to a branch; a branch that does not exist is RevisionNotFoundError', async () => {
    await createRepo('org/branches', opts());
    expect(await rejection(uploadFile('org/branches', { ...opts(), source: new TextEncoder().encode('x'), pathInRepo: 'x.txt', revision: 'dev' }))).toBeInstanceOf(RevisionNotFoundError);
    await createBranch('org/branches', 'dev', opts());
    await uploadFile('org/branches', { ...opts(), source: new TextEncoder().encode('x'), pathInRepo: 'x.txt', revision: 'dev' });
    expect(hub.files('org/branches', 'dev')).toEqual(['.gitattributes', 'x.txt']);
    expect(hub.files('org/branches', 'main')).toEqual(['.gitattributes']);
  });

  it('a .gitignore in the upload leaves out the files it names', async () => {
    await createRepo('org/ignored', opts());
    await uploadFolder(folderOf({ '.gitignore': '*.log\ncache/\n', 'a.txt': 'a', 'debug.log': 'l', 'cache/x.bin': noise(10) }), 'org/ignored', opts());
    expect(hub.files('org/ignored')).toEqual(['.gitattributes', '.gitignore', 'a.txt']);
  });

  it('createCommit: adds and deletes together, from bytes and files', async () => {
    await createRepo('org/ops', opts());
    await uploadFolder(folderOf({ 'a.txt': 'a', 'b.txt': 'b' }), 'org/ops', opts());
    const file = join(folderOf({ 'w.safetensors': WEIGHTS }), 'w.safetensors');
    const info = await createCommit('org/ops', {
      ...opts(),
      commitMessage: 'mixed',
      operations: [
        { kind: 'delete', pathInRepo: 'a.txt' },
        { kind: 'add', pathInRepo: 'c.txt', source: new TextEncoder().encode('c') },
        { kind: 'add', pathInRepo: 'weights/w.safetensors', source: file },
      ],
    });
    expect(info).toMatchObject({ added: ['c.txt', 'weights/w.safetensors'], deleted: ['a.txt'] });
    expect(hub.files('org/ops')).toEqual(['.gitattributes', 'b.txt', 'c.txt', 'weights/w.safetensors']);
  });

  it('refuses bad input before any request: escaping paths, .git, illegal repo ids, missing folders, empty messages', async () => {
    const bytes = new TextEncoder().encode('x');
    hub.requests.length = 0;
    for (const pathInRepo of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '.git/config', 'a\\b', 'x/.cache/y']) {
      const err = await rejection(uploadFile('org/any', { ...opts(), source: bytes, pathInRepo }));
      expect(err, pathInRepo).toBeInstanceOf(UnsafePathError);
    }
    for (const id of ['org/bad name', 'org/x/y', 'org/é']) {
      const err = await rejection(uploadFile(id, { ...opts(), source: bytes, pathInRepo: 'x.txt' }));
      expect(err, id).toBeInstanceOf(HubError);
      expect(err.message, id).toContain('expected a repository id');
    }
    const folder = await rejection(uploadFolder(join(dirs.make(), 'missing'), 'org/any', opts()));
    expect(folder.message).toContain('no such folder');
    const msg = await rejection(createCommit('org/any', { ...opts(), commitMessage: ' ', operations: [] }));
    expect(msg.message).toContain('commitMessage must be a non-empty string');
    const parent = await rejection(createCommit('org/any', { ...opts(), commitMessage: 'x', parentCommit: 'abc', operations: [] }));
    expect(parent.message).toContain('parentCommit must be a commit id');
    const dup = await rejection(createCommit('org/any', { ...opts(), commitMessage: 'x', operations: [{ kind: 'add', pathInRepo: 'a', source: bytes }, { kind: 'add', pathInRepo: './a', source: bytes }] }));
    expect(dup.message).toContain('added twice');
    expect(hub.requests).toEqual([]);
  });
});
