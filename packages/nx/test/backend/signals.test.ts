/**
 * Signals and TensorFlow's kernels (native backend): TensorFlow 2.21's oneDNN `MatMul` kernel
 * points the stack pointer into the heap while it runs, so a signal handled on its thread
 * corrupts the heap (oneDNN issue #4845); the binding `raven-nx-native` builds blocks
 * asynchronous signals around TensorFlow's calls (packages/nx-native/binding/raven_signals.h).
 * A fault made real: a child process multiplies matrices eagerly and in an `nx.jit` graph while
 * this process sends it SIGUSR2 without pause. Without the guard the child dies within a
 * second or two ("corrupted size vs. prev_size", SIGABRT or SIGSEGV).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';

const native = nx.backendInfo().backend === 'tensorflow';
const root = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  sent: number;
}

/** Runs the child for `seconds` under a storm of SIGUSR2 from this process. */
function underSignalStorm(seconds: number): Promise<Outcome> {
  const script = join(root, 'packages/nx/test/backend/fixtures/signal-storm-child.ts');
  // node itself runs the script (tsx as a loader), so that the signals reach that process
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script, String(seconds)], {
    cwd: root,
    env: { ...process.env, NX_BACKEND: 'tensorflow' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let sent = 0;
  let storming = false;
  const storm = (): void => {
    if (!storming) return;
    try {
      child.kill('SIGUSR2');
      sent++;
    } catch {
      return;
    }
    setImmediate(storm);
  };
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('\n{')) storming = false; // the report: the child is done
    else if (!storming && stdout.includes('ready')) {
      storming = true;
      setImmediate(storm);
    }
  });
  return new Promise((done) => {
    child.on('close', (code, signal) => {
      storming = false;
      done({ code, signal, stdout, stderr, sent });
    });
  });
}

describe('signals during TensorFlow kernels', () => {
  it.skipIf(!native)('matrix products survive a storm of handled signals, with the same values, and TensorFlow\'s threads block them', async () => {
    const r = await underSignalStorm(4);
    expect(r.stderr).not.toMatch(/corrupted|double free|Segmentation/);
    expect({ code: r.code, signal: r.signal }, r.stderr.slice(-2000)).toEqual({ code: 0, signal: null });
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { signals: number; products: number; allEqual: boolean; tfThreads: unknown };
    expect(report.allEqual).toBe(true);
    expect(report.tfThreads).toBe('all blocked');
    // the storm really reached the child while it computed (its JavaScript handler runs between
    // products only, where libuv hands on the signals that came meanwhile, coalesced)
    expect(r.sent).toBeGreaterThan(1000);
    expect(report.signals).toBeGreaterThan(0);
    expect(report.products).toBeGreaterThan(100);
  }, 120_000);
});
