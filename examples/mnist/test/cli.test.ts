// `npm start` from the repository root passes flags through to the example, a bad flag prints
// the usage (no stack trace) and exits with 2, and guide 01 describes what `npm start` runs.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EPOCHS, parse, USAGE, UsageError } from '../src/main.js';
import { MLP_HIDDEN } from '../src/models.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function npmStart(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn('npm', ['start', '--', ...args], { cwd: root, env: { ...process.env, NX_BACKEND: 'wasm', FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => res({ status, stdout, stderr }));
  });
}

describe('npm start (examples/mnist)', () => {
  it('npm start -- --epochs 1 --train-limit 2000 trains one epoch with the flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raven-mnist-cli-'));
    try {
      const r = await npmStart(['--epochs', '1', '--train-limit', '2000', '--checkpoint', join(dir, 'm.safetensors')]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Epoch 1\/1 /m);
      expect(r.stdout).toMatch(/saved .*m\.safetensors/);
      expect(r.stdout).toMatch(/test accuracy \d+\.\d+%/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('a bad flag prints what is wrong and the usage, and exits with 2', async () => {
    const r = await npmStart(['--epoch', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error: unknown flag --epoch; did you mean --epochs?');
    expect(r.stderr).toContain('usage: npm start -- [flags]');
    expect(r.stderr).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m); // no stack trace
  }, 240_000);

  it('parses the flags, and says what is wrong with a bad one', () => {
    expect(parse(['--epochs', '2', '--model', 'cnn', '--batch-size', '64', '--lr', '0.01', '--seed', '3', '--train-limit', '100'])).toEqual({
      model: 'cnn', epochs: 2, checkpoint: undefined, batchSize: 64, lr: 0.01, seed: 3, trainLimit: 100,
    });
    expect(parse(['-h'])).toBe('help');
    const bad: Array<[string[], string]> = [
      [['--epoch', '1'], 'unknown flag --epoch; did you mean --epochs?'],
      [['--epochs'], '--epochs needs a value'],
      [['--epochs', 'two'], '--epochs expects a positive integer, got two'],
      [['--model', 'rnn'], '--model expects mlp or cnn, got rnn'],
      [['1'], 'unexpected argument "1"; flags take the form --epochs 3'],
      [['--lr', '-1'], '--lr expects a positive number, got -1'],
    ];
    for (const [args, message] of bad) {
      let err: unknown;
      try { parse(args); } catch (e) { err = e; }
      expect(err, args.join(' ')).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(message);
    }
  });

  it("guide 01 says what npm start runs: the defaults, the model and the flags' usage", async () => {
    const guide = await readFile(join(root, 'docs', '01-getting-started.md'), 'utf8');
    const section = guide.slice(guide.indexOf('## The full run'), guide.indexOf('## Where next'));
    expect(section).toContain(`for ${DEFAULT_EPOCHS.mlp} epochs`);
    expect(section).toContain(`784-${MLP_HIDDEN}-10`);
    expect(section).toContain('cosine');
    expect(section).toContain('npm start -- --epochs 1');
    for (const flag of section.matchAll(/npm start -- (--[\w-]+)/g)) expect(USAGE).toContain(flag[1]!);
  });
});
