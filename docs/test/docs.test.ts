/**
 * Every TypeScript block in docs/*.md is type-checked and run. A guide's blocks run in order as one
 * module, in a child process, in a scratch working directory, offline: Hub examples talk to a
 * loopback Hub server serving the repository's fixtures through HF_ENDPOINT.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBlocks, moduleFor } from './extract.js';
import { startDocsHub, type DocsHub } from './hub.js';
import { run } from './run.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const docsDir = join(root, 'docs');
const genDir = join(docsDir, '.generated');
const blocks = extractBlocks(docsDir, [join(root, 'README.md')]); // the README's taste of the API runs too
const guides = [...new Set(blocks.map((b) => b.file))];
const tsx = join(root, 'node_modules', '.bin', 'tsx');

let hub: DocsHub;
let scratch: string;

beforeAll(async () => {
  rmSync(genDir, { recursive: true, force: true });
  mkdirSync(genDir, { recursive: true });
  for (const g of guides) {
    const own = blocks.filter((b) => b.file === g);
    const base = g.replace(/\.md$/, '').replace(/[^A-Za-z0-9_-]/g, '_');
    writeFileSync(join(genDir, `${base}.check.ts`), moduleFor(own, 'typecheck'));
    writeFileSync(join(genDir, `${base}.run.ts`), moduleFor(own, 'run'));
  }
  writeFileSync(
    join(genDir, 'tsconfig.json'),
    JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false }, include: ['*.check.ts'] }, null, 2),
  );
  hub = await startDocsHub(root);
  scratch = mkdtempSync(join(tmpdir(), 'raven-docs-'));
});

afterAll(async () => {
  await hub?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('docs', () => {
  it('has guides with code blocks', () => {
    expect(guides.length).toBeGreaterThan(0);
    const skipped = blocks.filter((b) => b.mode === 'skip');
    // a block that cannot run must say why, and such blocks stay few
    for (const b of skipped) expect(b.reason, `${b.file}:${b.line}`).toBeTruthy();
    expect(skipped.length).toBeLessThanOrEqual(Math.max(3, Math.floor(blocks.length / 10)));
  });

  it('every TypeScript block type-checks', async () => {
    const tsc = join(root, 'node_modules', '.bin', 'tsc');
    const r = await run(tsc, ['-p', join(genDir, 'tsconfig.json')], { cwd: root, timeout: 240_000 });
    if (r.status !== 0) throw new Error(`docs code blocks do not type-check:\n${r.stdout}\n${r.stderr}`);
  }, 300_000);

  for (const g of guides) {
    it(`${g} runs`, async () => {
      const base = g.replace(/\.md$/, '').replace(/[^A-Za-z0-9_-]/g, '_');
      const cwd = join(scratch, base);
      mkdirSync(cwd, { recursive: true });
      const r = await run(tsx, ['--conditions=source', join(genDir, `${base}.run.ts`)], {
        cwd,
        timeout: 240_000,
        env: { ...process.env, ...hub.env, RAVEN_CACHE_ROOT: join(scratch, 'cache'), NX_BACKEND: process.env['NX_BACKEND'] ?? 'wasm', FORCE_COLOR: '0' },
      });
      if (r.status !== 0) throw new Error(`${g} failed (exit ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
    }, 300_000);
  }
});
