import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/main.js';

describe('examples/mnist', () => {
  it('MLP on a 5k subset, 1 epoch: well above chance, and the checkpoint round trip is exact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raven-mnist-'));
    try {
      const checkpoint = join(dir, 'mlp', 'model.safetensors');
      const r = await run({ model: 'mlp', epochs: 1, trainLimit: 5000, checkpoint, progress: false, log: () => {} });
      expect(r.testAccuracy).toBeGreaterThan(0.85); // chance is 0.1
      expect(r.testAccuracy).toBe(r.accuracyBeforeSave);
      expect((await stat(checkpoint)).size).toBeGreaterThan(4 * (784 * 256 + 256 * 10));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
