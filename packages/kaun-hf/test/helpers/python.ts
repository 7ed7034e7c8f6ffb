/**
 * Finding a Python that has the modules a test needs: `$RAVEN_PYTHON` when set, else `python3`
 * (the project's convention). Tests that need it skip, saying why, when it is missing.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';

/** The interpreter and, when it cannot be used, why. */
export interface PythonCheck {
  /** The interpreter command. */
  python: string;
  /** Why the modules cannot be used; `undefined` when they import. */
  skipReason: string | undefined;
}

/** Checks once that `python` imports `modules`. */
export function findPython(modules: string[]): PythonCheck {
  const python = process.env['RAVEN_PYTHON'] || 'python3';
  const r = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { python, skipReason: `${python} cannot be run (${r.error.message}); set RAVEN_PYTHON` };
  if (r.status !== 0) {
    const last = (r.stderr.trim().split('\n').pop() ?? '').slice(0, 200);
    return { python, skipReason: `${python} lacks ${modules.join(', ')} (${last}); set RAVEN_PYTHON to an interpreter that has them` };
  }
  return { python, skipReason: undefined };
}

/**
 * Runs a Python script asynchronously (the test process keeps serving the loopback Hub meanwhile)
 * and returns its output; rejects with stdout and stderr when it fails.
 */
export function runPython(python: string, script: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-c', script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`python exited ${code}:\n${out}\n${err}`))));
  });
}
