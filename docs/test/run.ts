/**
 * Runs a command without blocking the test worker: a worker blocked in `spawnSync` for long
 * (typedoc, tsc on a busy machine) misses vitest's RPC deadlines and the run reports an
 * "unhandled error" although every test passed.
 */
import { spawn } from 'node:child_process';

/** What a finished command gave. */
export interface RunResult {
  /** Exit code, `null` when a signal ended it. */
  status: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` to completion (killed after `timeout` ms), collecting its output. */
export function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout: number }): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (status, signal) => done({ status, signal, stdout, stderr }));
  });
}
