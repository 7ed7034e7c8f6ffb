/**
 * Child processes without blocking: the installer runs compilers, npm, Python and the binding
 * checks this way, so that the event loop of its host (a test runner, a progress display) keeps
 * turning while they run.
 * @module
 */
import { spawn } from 'node:child_process';

/** How a child process ended and what it printed. */
export interface ChildResult {
  /** Exit code, or `null` when it was killed by a signal or did not start. */
  status: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** Everything it wrote to stdout. */
  stdout: string;
  /** Everything it wrote to stderr. */
  stderr: string;
  /** Why it did not start (no such program, ...), or that it ran past its time limit. */
  error?: Error;
}

/** Options of {@link runChild}. */
export interface ChildOptions {
  /** Working folder. */
  cwd?: string;
  /** Environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Kill it (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
  /** Kill it (SIGTERM) when this is aborted. */
  signal?: AbortSignal;
}

/**
 * Runs `command args` and resolves when it has ended (never rejects: a program that cannot be
 * started gives `status: null` and `error`).
 * @internal
 */
export function runChild(command: string, args: readonly string[], options: ChildOptions = {}): Promise<ChildResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let error: Error | undefined;
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
      ...(options.signal !== undefined ? { signal: options.signal, killSignal: 'SIGTERM' as const } : {}),
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            error = new Error(`${command} ran past ${options.timeoutMs} ms and was killed`);
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => (error ??= e));
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ...(error ? { error } : {}) });
    });
  });
}
