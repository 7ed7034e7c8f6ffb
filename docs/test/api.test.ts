/**
 * The API reference (typedoc over the three packages) builds without a warning: every export is
 * documented and every {@link} resolves. `typedoc.json` treats warnings as errors.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from './run.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('API reference', () => {
  it('typedoc builds without warnings', async () => {
    const r = await run(join(root, 'node_modules/.bin/typedoc'), ['--emit', 'none'], { cwd: root, timeout: 240_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/\[warning\]|\[error\]/);
  }, 300_000);
});
