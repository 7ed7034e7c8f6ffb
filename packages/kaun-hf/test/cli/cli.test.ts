/**
 * The `kaun-hf` command against the loopback fake Hub: in-process through `main` (fast), as a
 * child process through bin/kaun-hf.js with non-TTY output, and on a pseudo-terminal through
 * util-linux `script` to see the progress bar.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.js';
import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { noise, tempDirs, USERS, writeTree } from '../hub/_util.js';

const BIN = fileURLToPath(new URL('../../bin/kaun-hf.js', import.meta.url));
const WEIGHTS = Buffer.alloc(40_000, 3);

function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    text: () => ({ stdout: out.join(''), stderr: err.join('') }),
  };
}

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kaun-hf', () => {
  let hub: HubServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    hub = await startHubServer({
      repos: {
        'org/tiny': {
          files: { 'config.json': '{"model_type":"bert"}', 'model.safetensors': WEIGHTS, 'vocab.txt': 'a\nb\n' },
        },
        'org/sharded': {
          files: {
            'config.json': '{}',
            'model.safetensors.index.json': JSON.stringify({
              weight_map: { a: 's1.safetensors', b: 's2.safetensors' },
            }),
            's1.safetensors': 'one',
            's2.safetensors': 'two',
          },
        },
        'org/private': { files: { 'config.json': '{}' }, private: true },
      },
      users: USERS,
    });
  });
  afterAll(async () => hub.close());
  afterEach(() => dirs.cleanup());

  it('download without files fetches the whole repository (a snapshot) with progress lines', async () => {
    const cacheDir = dirs.make();
    const f = fakeIo();
    const code = await main(['download', 'org/tiny', '--cache-dir', cacheDir, '--endpoint', hub.endpoint], f.io);
    const { stdout, stderr } = f.text();
    expect(code, stderr).toBe(0);
    const snapshot = join(cacheDir, 'models--org--tiny', 'snapshots', hub.commitOf('org/tiny'));
    expect(stdout.split('\n')).toEqual([
      `config.json -> ${join(snapshot, 'config.json')}`,
      `model.safetensors -> ${join(snapshot, 'model.safetensors')}`,
      `vocab.txt -> ${join(snapshot, 'vocab.txt')}`,
      `3 file(s) in ${snapshot}`,
      '',
    ]);
    expect(stderr).toContain('config.json: downloading (21 B)\n');
    expect(stderr).toContain('model.safetensors: downloading (40.0 kB)\n');
    expect(stderr).toMatch(/model\.safetensors: done, 40\.0 kB in [\d.]+ s/);
    expect(readFileSync(join(snapshot, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
    // a second run finds everything cached
    const g = fakeIo();
    expect(await main(['download', 'org/tiny', `--cache-dir=${cacheDir}`, `--endpoint=${hub.endpoint}`], g.io)).toBe(0);
    expect(g.text().stderr.split('\n').sort()).toEqual(['', 'config.json: cached (21 B)', 'model.safetensors: cached (40.0 kB)', 'vocab.txt: cached (4 B)']);
    // --include / --exclude choose files
    const h = fakeIo();
    expect(await main(['download', 'org/tiny', '--include', '*.json', '--include', 'vocab*', '--exclude', 'v*', '--cache-dir', dirs.make(), '--endpoint', hub.endpoint], h.io)).toBe(0);
    expect(h.text().stdout).toMatch(/^config\.json -> .*\n1 file\(s\) in /);
  });

  it('download of a sharded repository lists the index and every shard; explicit files and --revision', async () => {
    const cacheDir = dirs.make();
    const f = fakeIo();
    expect(await main(['download', 'org/sharded', '--cache-dir', cacheDir, '--endpoint', hub.endpoint], f.io)).toBe(0);
    expect(
      f
        .text()
        .stdout.split('\n')
        .map((l) => l.split(' -> ')[0]),
    ).toEqual([
      'config.json',
      'model.safetensors.index.json',
      's1.safetensors',
      's2.safetensors',
      expect.stringMatching(/^4 file\(s\) in /),
      '',
    ]);
    const g = fakeIo();
    const commit = hub.commitOf('org/tiny');
    expect(
      await main(
        [
          'download',
          'org/tiny',
          'vocab.txt',
          '--revision',
          commit,
          '--cache-dir',
          cacheDir,
          '--endpoint',
          hub.endpoint,
        ],
        g.io,
      ),
    ).toBe(0);
    expect(g.text().stdout).toContain(
      `vocab.txt -> ${join(cacheDir, 'models--org--tiny', 'snapshots', commit, 'vocab.txt')}`,
    );
  });

  it('cache ls and cache clear', async () => {
    const cacheDir = dirs.make();
    const o = ['--cache-dir', cacheDir, '--endpoint', hub.endpoint];
    const empty = fakeIo();
    expect(await main(['cache', 'ls', ...o], empty.io)).toBe(0);
    expect(empty.text().stdout).toBe(`no repositories cached in ${cacheDir}\n`);
    await main(['download', 'org/tiny', 'config.json', ...o], fakeIo().io);
    await main(['download', 'org/sharded', 'config.json', ...o], fakeIo().io);
    const ls = fakeIo();
    expect(await main(['cache', 'ls', ...o], ls.io)).toBe(0);
    const lines = ls.text().stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPO\s+REVISIONS\s+SNAPSHOTS\s+FILES\s+SIZE\s+PATH$/);
    expect(lines[1]).toMatch(
      new RegExp(`^org/sharded\\s+main\\s+1\\s+1\\s+2 B\\s+${join(cacheDir, 'models--org--sharded')}$`),
    );
    expect(lines[2]).toMatch(/^org\/tiny\s+main\s+1\s+1\s+21 B\s+/);
    expect(lines[3]).toBe(`2 repositories, 23 B in ${cacheDir}`);
    const clear = fakeIo();
    expect(await main(['cache', 'clear', 'org/tiny', ...o], clear.io)).toBe(0);
    expect(clear.text().stdout).toBe(`removed org/tiny\nfreed 21 B in ${cacheDir}\n`);
    // everything: asks first, or needs --yes
    const unasked = fakeIo();
    expect(await main(['cache', 'clear', ...o], unasked.io)).toBe(2);
    expect(unasked.text().stderr).toContain(`deletes all 1 repository (2 B) in ${cacheDir}; add --yes`);
    const questions: string[] = [];
    const no = fakeIo();
    expect(await main(['cache', 'clear', ...o], { ...no.io, prompt: async (q) => (questions.push(q), 'n') })).toBe(1);
    expect(questions).toEqual([`Delete all 1 repository (2 B) in ${cacheDir}? [y/N] `]);
    expect(no.text().stderr).toBe('nothing deleted\n');
    const yes = fakeIo();
    expect(await main(['cache', 'clear', ...o], { ...yes.io, prompt: async () => 'y' })).toBe(0);
    expect(yes.text().stdout).toBe(`removed org/sharded\nfreed 2 B in ${cacheDir}\n`);
    await main(['download', 'org/tiny', 'config.json', ...o], fakeIo().io);
    const all = fakeIo();
    expect(await main(['cache', 'clear', '--yes', ...o], all.io)).toBe(0);
    expect(all.text().stdout).toBe(`removed org/tiny\nfreed 21 B in ${cacheDir}\n`);
  });

  it('exit status 1 with the typed error on stderr; 2 with a hint for wrong usage', async () => {
    const cacheDir = dirs.make();
    const f = fakeIo();
    expect(await main(['download', 'org/private', '--cache-dir', cacheDir, '--endpoint', hub.endpoint], f.io)).toBe(1);
    expect(f.text().stderr).toMatch(
      /^kaun-hf: RepositoryNotFoundError: kaun-hf download: could not read the information of "org\/private" at "main": repository "org\/private" was not found/,
    );
    expect(f.text().stderr).toContain('set HF_TOKEN');
    const ok = fakeIo();
    expect(
      await main(
        [
          'download',
          'org/private',
          'config.json',
          '--token',
          'hf_valid',
          '--cache-dir',
          cacheDir,
          '--endpoint',
          hub.endpoint,
        ],
        ok.io,
      ),
    ).toBe(0);
    const offline = fakeIo();
    expect(await main(['download', 'org/tiny', 'vocab.txt', '--offline', '--cache-dir', cacheDir], offline.io)).toBe(1);
    expect(offline.text().stderr).toContain('OfflineError');
    for (const argv of [
      ['frobnicate'],
      ['download'],
      ['download', 'x', '--revision'],
      ['cache', 'ls', '--bogus'],
      ['cache', 'prune'],
      [],
    ]) {
      const u = fakeIo();
      expect(await main(argv, u.io), argv.join(' ')).toBe(2);
    }
    const help = fakeIo();
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.text().stdout).toContain('kaun-hf download <repo> [files...]');
  });

  it('upload: creates the repository (private) and the branch, uploads a folder or a file, prints the commit', async () => {
    const folder = writeTree(dirs.make(), { 'config.json': '{"a":1}', 'model.safetensors': noise(30_000, 4), 'logs/x.log': 'x' });
    const o = ['--endpoint', hub.endpoint, '--token', 'hf_alice'];
    const f = fakeIo();
    expect(await main(['upload', 'cli-model', folder, '--private', '-m', 'First', '--exclude', 'logs/', ...o], f.io), f.text().stderr).toBe(0);
    expect(f.text().stdout).toBe(`${hub.endpoint}/alice/cli-model/commit/${hub.commitOf('alice/cli-model')}\n`);
    expect(hub.repoState('alice/cli-model')).toEqual({ private: true });
    expect(hub.files('alice/cli-model')).toEqual(['.gitattributes', 'config.json', 'model.safetensors']);
    expect(hub.commitInfo('alice/cli-model').summary).toBe('First');
    const lines = f.text().stderr.split('\n').map((l) => l.replace(/ in .*$/, ''));
    expect(lines).toEqual(expect.arrayContaining(['model.safetensors: hashing (30.0 kB)', 'model.safetensors: uploading (30.0 kB)', 'model.safetensors: done, 30.0 kB', 'committed 2 file(s) to alice/cli-model']));
    const again = fakeIo();
    expect(await main(['upload', 'alice/cli-model', folder, '--exclude', 'logs/', ...o], again.io)).toBe(0);
    expect(again.text().stderr).toContain('nothing changed in alice/cli-model (2 file(s) already there): no commit');
    const file = fakeIo();
    expect(await main(['upload', 'alice/cli-model', join(folder, 'logs', 'x.log'), 'notes/x.log', '--revision', 'dev', ...o], file.io)).toBe(0);
    expect(hub.files('alice/cli-model', 'dev')).toContain('notes/x.log');
    expect(hub.files('alice/cli-model', 'main')).not.toContain('notes/x.log');
    const missing = fakeIo();
    expect(await main(['upload', 'alice/cli-model', join(folder, 'nope'), ...o], missing.io)).toBe(2);
    expect(missing.text().stderr).toContain('no such file or folder');
    const noToken = fakeIo();
    expect(await main(['upload', 'alice/cli-model', folder, '--endpoint', hub.endpoint, '--token', ''], noToken.io)).toBe(1);
    expect(noToken.text().stderr).toMatch(/AuthenticationError: .*HF_TOKEN/);
  });

  it('repo create prints the address; an existing repository is an error unless --exist-ok', async () => {
    const o = ['--endpoint', hub.endpoint, '--token', 'hf_alice'];
    const f = fakeIo();
    expect(await main(['repo', 'create', 'org/made', ...o], f.io)).toBe(0);
    expect(f.text().stdout).toBe(`${hub.endpoint}/org/made\n`);
    const again = fakeIo();
    expect(await main(['repo', 'create', 'org/made', ...o], again.io)).toBe(1);
    expect(again.text().stderr).toContain('ConflictError');
    expect(await main(['repo', 'create', 'org/made', '--exist-ok', ...o], fakeIo().io)).toBe(0);
    expect(await main(['repo', 'delete', 'org/made', ...o], fakeIo().io)).toBe(2);
  });

  it('runs as a child process through bin/kaun-hf.js with plain lines when stdout is not a terminal', async () => {
    const cacheDir = dirs.make();
    const res = await run(['download', 'org/tiny', '--cache-dir', cacheDir], { HF_ENDPOINT: hub.endpoint });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toContain('\r');
    expect(
      res.stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/ in .*$/, ''))
        .sort(),
    ).toEqual([
      'config.json: done, 21 B',
      'config.json: downloading (21 B)',
      'model.safetensors: done, 40.0 kB',
      'model.safetensors: downloading (40.0 kB)',
      'vocab.txt: done, 4 B',
      'vocab.txt: downloading (4 B)',
    ]);
    const snapshot = join(cacheDir, 'models--org--tiny', 'snapshots', hub.commitOf('org/tiny'));
    expect(res.stdout.trimEnd().split('\n').at(-1)).toBe(`3 file(s) in ${snapshot}`);
    expect(readFileSync(join(snapshot, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
  }, 60_000);

  it('draws a progress bar on a pseudo-terminal (util-linux script)', async () => {
    const hasScript = spawnSync('script', ['--version']).status === 0;
    if (!hasScript) return; // util-linux missing: the fake-TTY renderer tests still cover the bar
    const cacheDir = realpathSync(dirs.make());
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(
      BIN,
    )} download org/tiny model.safetensors --cache-dir ${JSON.stringify(cacheDir)} --endpoint ${hub.endpoint}`;
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('close', (code) => resolve({ code, text }));
    });
    expect(out.code, out.text).toBe(0);
    expect(out.text).toContain('\r\x1b[2K');
    expect(out.text).toMatch(/model\.safetensors +\[#+\] 100% 40\.0 kB\/40\.0 kB [\d.]+ [kMG]?B\/s/);
    expect(out.text).not.toContain('downloading (');
  }, 60_000);
});
