/**
 * The cache and the protocol checked against huggingface_hub itself (skipped, saying why, when
 * `$RAVEN_PYTHON`/python3 lacks it): Python reads a snapshot we downloaded (offline, through
 * `snapshot_download`, `hf_hub_download`, `scan_cache_dir`); we read, offline, what Python
 * downloaded; huggingface_hub, as a reference client, uploads into the loopback Hub
 * (`create_repo`, `upload_folder` with LFS multipart, `delete_file`) and our client reads it back;
 * huggingface_hub downloads what our client uploaded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { downloadFile, listRepoFiles, snapshotDownload, uploadFolder, createRepo } from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { findPython, runPython } from '../helpers/python.js';
import { FAST, noise, sha256Of, tempDirs, USERS, writeTree } from './_util.js';

const py = findPython(['huggingface_hub']);
const why = py.skipReason ? ` (skipped: ${py.skipReason})` : '';
// huggingface_hub must take the LFS path (hf_xet would need Xet storage) and must not phone home
const PY_ENV = { HF_HUB_DISABLE_XET: '1', HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1', HF_HUB_ENABLE_HF_TRANSFER: '0' };

const FILES = { 'config.json': '{"model_type":"bert"}', 'model.safetensors': noise(150_000, 5), 'sub/notes.txt': 'notes' };

describe.skipIf(py.skipReason !== undefined)(`huggingface_hub interoperability${why}`, () => {
  let hub: HubServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    hub = await startHubServer({ repos: { 'org/shared': { files: FILES } }, users: USERS, multipartThreshold: 100_000, chunkSize: 64_000 });
  });
  afterAll(async () => hub.close());
  afterEach(() => dirs.cleanup());
  const py$ = (script: string, args: string[] = []) => runPython(py.python, script, args, { ...PY_ENV, HF_ENDPOINT: hub.endpoint });

  it('huggingface_hub finds, offline, the snapshot our client downloaded', async () => {
    const cacheDir = dirs.make();
    const folder = await snapshotDownload('org/shared', { endpoint: hub.endpoint, cacheDir, token: false, ...FAST });
    const out = await py$(
      [
        'import sys, json',
        'from huggingface_hub import snapshot_download, hf_hub_download, scan_cache_dir',
        'cache = sys.argv[1]',
        'snap = snapshot_download("org/shared", cache_dir=cache, local_files_only=True)',
        'one = hf_hub_download("org/shared", "sub/notes.txt", cache_dir=cache, local_files_only=True)',
        'info = scan_cache_dir(cache)',
        'repo = next(iter(info.repos))',
        'rev = next(iter(repo.revisions))',
        'print(json.dumps({"snap": snap, "one": one, "repo": repo.repo_id, "refs": sorted(rev.refs), "files": sorted(f.file_name for f in rev.files), "size": repo.size_on_disk, "warnings": [str(w) for w in info.warnings]}))',
      ].join('\n'),
      [cacheDir],
    );
    const r = JSON.parse(out) as { snap: string; one: string; repo: string; refs: string[]; files: string[]; size: number; warnings: string[] };
    expect(r.snap).toBe(folder);
    expect(r.one).toBe(join(folder, 'sub', 'notes.txt'));
    expect(r).toMatchObject({ repo: 'org/shared', refs: ['main'], files: ['config.json', 'model.safetensors', 'notes.txt'], warnings: [] });
    expect(r.size).toBe(Object.values(FILES).reduce((n, c) => n + Buffer.byteLength(c), 0));
  });

  it('our client finds, offline, the snapshot huggingface_hub downloaded (HF_HUB_CACHE shared)', async () => {
    const cacheDir = dirs.make();
    const snap = (await py$('import sys\nfrom huggingface_hub import snapshot_download\nprint(snapshot_download("org/shared", cache_dir=sys.argv[1]))', [cacheDir])).trim();
    // HF_HUB_CACHE is the root only when Raven's own setting is absent (CI sets RAVEN_CACHE_ROOT)
    const saved = process.env.HF_HUB_CACHE;
    const savedRaven = process.env.RAVEN_CACHE_ROOT;
    process.env.HF_HUB_CACHE = cacheDir;
    delete process.env.RAVEN_CACHE_ROOT;
    try {
      const folder = await snapshotDownload('org/shared', { offline: true });
      expect(folder).toBe(snap);
      const path = await downloadFile({ modelId: 'org/shared', filename: 'model.safetensors', offline: true });
      expect(sha256Of(readFileSync(path))).toBe(sha256Of(FILES['model.safetensors']));
    } finally {
      if (saved === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = saved;
      if (savedRaven !== undefined) process.env.RAVEN_CACHE_ROOT = savedRaven;
    }
  });

  it('huggingface_hub uploads into the loopback Hub as into the real one; our client reads it back', async () => {
    const folder = writeTree(dirs.make(), { 'config.json': '{"a": 1}', 'model.safetensors': noise(200_000, 6), 'extra/readme.txt': 'r' });
    const out = await py$(
      [
        'import sys, json',
        'from huggingface_hub import HfApi',
        'api = HfApi(token="hf_alice")',
        'url = api.create_repo("from-python", exist_ok=True)',
        'info = api.upload_folder(folder_path=sys.argv[1], repo_id=url.repo_id, commit_message="from python")',
        'again = api.upload_folder(folder_path=sys.argv[1], repo_id=url.repo_id, commit_message="no change")',
        'api.create_branch(url.repo_id, branch="dev")',
        'api.delete_file("extra/readme.txt", url.repo_id)',
        'print(json.dumps({"repo": url.repo_id, "oid": info.oid, "same": again.oid == info.oid, "files": api.list_repo_files(url.repo_id)}))',
      ].join('\n'),
      [folder],
    );
    const r = JSON.parse(out) as { repo: string; oid: string; same: boolean; files: string[] };
    expect(r).toMatchObject({ repo: 'alice/from-python', same: true, files: ['.gitattributes', 'config.json', 'model.safetensors'] });
    expect(hub.isLfs('alice/from-python', 'model.safetensors')).toBe(true);
    expect(hub.commitOf('alice/from-python', 'dev')).toBe(r.oid);
    const path = await downloadFile({ modelId: 'alice/from-python', filename: 'model.safetensors', endpoint: hub.endpoint, cacheDir: dirs.make(), token: 'hf_alice', ...FAST });
    expect(sha256Of(readFileSync(path))).toBe(sha256Of(noise(200_000, 6)));
    expect(await listRepoFiles('alice/from-python', { endpoint: hub.endpoint, token: 'hf_alice', revision: 'dev' })).toContain('extra/readme.txt');
  });

  it('huggingface_hub downloads what our client uploaded, byte for byte', async () => {
    await createRepo('org/from-ts', { endpoint: hub.endpoint, token: 'hf_alice' });
    const files = { 'config.json': '{"b": 2}', 'model.safetensors': noise(180_000, 8), 'x/y.txt': 'y' };
    await uploadFolder(writeTree(dirs.make(), files), 'org/from-ts', { endpoint: hub.endpoint, token: 'hf_alice' });
    const out = await py$(
      [
        'import sys, json, hashlib, os',
        'from huggingface_hub import snapshot_download',
        'snap = snapshot_download("org/from-ts", cache_dir=sys.argv[1], token="hf_alice")',
        'print(json.dumps({p: hashlib.sha256(open(os.path.join(snap, p), "rb").read()).hexdigest() for p in ["config.json", "model.safetensors", "x/y.txt"]}))',
      ].join('\n'),
      [dirs.make()],
    );
    const got = JSON.parse(out) as Record<string, string>;
    for (const [p, c] of Object.entries(files)) expect(got[p], p).toBe(sha256Of(Buffer.from(c)));
  });
});
