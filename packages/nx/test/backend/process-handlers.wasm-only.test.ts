import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

describe('wasm backend and the host process', () => {
  it('leaves uncaught errors of user code alone (no Emscripten rethrow, normal exit code)', () => {
    // the script lives inside the repository so that '@raven/nx' resolves through the workspace
    const dir = mkdtempSync(join(root, 'packages/nx/test/backend/.tmp-'));
    try {
      const script = join(dir, 'throw.ts');
      writeFileSync(script, "import * as nx from '@raven/nx';\nconsole.log(nx.backendInfo().backend);\nthrow new Error('boom from user code');\n");
      const r = spawnSync(join(root, 'node_modules/.bin/tsx'), ['--conditions=source', script], {
        encoding: 'utf8',
        env: { ...process.env, NX_BACKEND: 'wasm' },
        timeout: 60_000,
      });
      expect(r.stdout.trim()).toBe('wasm');
      expect(r.stderr).toContain('boom from user code');
      expect(r.status).toBe(1); // Node's own exit code for an uncaught error; the wasm glue exits with 7
      expect(r.stderr.length).toBeLessThan(2000); // not tens of kilobytes of minified glue code
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
