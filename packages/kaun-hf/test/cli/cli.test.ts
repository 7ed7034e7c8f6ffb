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
import { tempDirs } from '../hub/_util.js';

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
    });
  });
  afterAll(async () => hub.close());
  afterEach(() => dirs.cleanup());

  it('download with default files fetches config.json and the weights loadWeights would pick', async () => {
    const cacheDir = dirs.make();
    const f = fakeIo();
    const code = await main(['download', 'org/tiny', '--cache-dir', cacheDir, '--endpoint', hub.endpoint], f.io);
    const { stdout, stderr } = f.text();
    expect(code, stderr).toBe(0);
    const snapshot = join(cacheDir, 'models--org--tiny', 'snapshots', hub.commitOf('org/tiny'));
    expect(stdout.split('\n')).toEqual([
      `config.json -> ${join(snapshot, 'config.json')}`,
      `model.safetensors -> ${join(snapshot, 'model.safetensors')}`,
      `2 file(s) in ${snapshot}`,
      '',
    ]);
    expect(stderr).toContain('config.json: downloading (21 B)\n');
    expect(stderr).toContain('model.safetensors: downloading (40.0 kB)\n');
    expect(stderr).toMatch(/model\.safetensors: done, 40\.0 kB in [\d.]+ s/);
    expect(readFileSync(join(snapshot, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
    // a second run finds everything cached
    const g = fakeIo();
    expect(await main(['download', 'org/tiny', `--cache-dir=${cacheDir}`, `--endpoint=${hub.endpoint}`], g.io)).toBe(0);
    expect(g.text().stderr).toBe('config.json: cached (21 B)\nmodel.safetensors: cached (40.0 kB)\n');
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
    const all = fakeIo();
    expect(await main(['cache', 'clear', ...o], all.io)).toBe(0);
    expect(all.text().stdout).toBe(`removed org/sharded\nfreed 2 B in ${cacheDir}\n`);
  });

  it('exit status 1 with the typed error on stderr; 2 with a hint for wrong usage', async () => {
    const cacheDir = dirs.make();
    const f = fakeIo();
    expect(await main(['download', 'org/private', '--cache-dir', cacheDir, '--endpoint', hub.endpoint], f.io)).toBe(1);
    expect(f.text().stderr).toMatch(
      /^kaun-hf: RepositoryNotFoundError: downloadFile: repository "org\/private" was not found/,
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

  it('runs as a child process through bin/kaun-hf.js with plain lines when stdout is not a terminal', async () => {
    const cacheDir = dirs.make();
    const res = await run(['download', 'org/tiny', '--cache-dir', cacheDir], { HF_ENDPOINT: hub.endpoint });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toContain('\r');
    expect(
      res.stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/ in .*$/, '')),
    ).toEqual([
      'config.json: downloading (21 B)',
      'config.json: done, 21 B',
      'model.safetensors: downloading (40.0 kB)',
      'model.safetensors: done, 40.0 kB',
    ]);
    const snapshot = join(cacheDir, 'models--org--tiny', 'snapshots', hub.commitOf('org/tiny'));
    expect(res.stdout.trimEnd().split('\n').at(-1)).toBe(`2 file(s) in ${snapshot}`);
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
