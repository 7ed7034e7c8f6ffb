/**
 * The API reference (typedoc over the three packages) builds without a warning: every export is
 * documented and every {@link} resolves. `typedoc.json` treats warnings as errors. Its modules are
 * titled by package (`@raven/nx`, not `nx/src`), with the namespaces (`Layer`, `Optim.Schedule`,
 * `nx.random`) inside them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from './run.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('API reference', () => {
  it('typedoc builds without warnings; modules are titled by package and namespace', async () => {
    const out = mkdtempSync(join(tmpdir(), 'raven-typedoc-'));
    try {
      const r = await run(join(root, 'node_modules/.bin/typedoc'), ['--out', join(out, 'html'), '--json', join(out, 'api.json')], { cwd: root, timeout: 240_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/\[warning\]|\[error\]/);
      type Node = { name: string; kind: number; children?: Node[] };
      const api = JSON.parse(readFileSync(join(out, 'api.json'), 'utf8')) as Node;
      // one module per entry point, titled with its package's name
      const entries = (JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] }).entryPoints;
      const packages = entries.map((e) => (JSON.parse(readFileSync(join(root, e.replace(/\/src\/index\.ts$/, '/package.json')), 'utf8')) as { name: string }).name);
      expect(api.children!.map((m) => m.name).sort()).toEqual([...packages].sort());
      expect(packages).toEqual(expect.arrayContaining(['@raven/kaun', '@raven/kaun-hf', '@raven/nx']));
      const namespaces = (m: string) => api.children!.find((c) => c.name === m)!.children!.filter((c) => c.kind === 4).map((c) => c.name);
      expect(namespaces('@raven/kaun')).toEqual(expect.arrayContaining(['Checkpoint', 'Data', 'Init', 'Layer', 'Loss', 'Metric', 'Optim', 'Ptree', 'Train']));
      expect(namespaces('@raven/nx')).toEqual(expect.arrayContaining(['dtypes', 'io', 'random']));
      expect(namespaces('@raven/kaun-hf')).toContain('Bert');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
