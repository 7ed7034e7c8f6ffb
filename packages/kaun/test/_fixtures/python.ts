/**
 * Running Python from tests without blocking the test worker (a blocked worker misses vitest's
 * heartbeats): the interpreter is `$RAVEN_PYTHON` when set, else `python3`.
 */
import { spawn } from 'node:child_process';

export const python = process.env['RAVEN_PYTHON'] ?? 'python3';

/** Runs `python -c code args...`; resolves with the exit status and output (status null when it could not start). */
export function runPython(code: string, args: string[] = [], timeoutMs = 180_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child;
    try {
      child = spawn(python, ['-c', code, ...args], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, timeout: timeoutMs });
    } catch (e) {
      resolve({ status: null, stdout: '', stderr: String(e) });
      return;
    }
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => resolve({ status: null, stdout, stderr: String(e) }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Whether the interpreter runs and imports every module named. */
export async function pythonHas(...modules: string[]): Promise<boolean> {
  return (await runPython(modules.map((m) => `import ${m}`).join('\n'))).status === 0;
}
