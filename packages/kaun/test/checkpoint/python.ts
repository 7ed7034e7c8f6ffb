/**
 * The Python interpreter for tests that compare with Python libraries: `$RAVEN_PYTHON` when set,
 * else `python3`; usable only when the modules import.
 */
import { spawnSync } from 'node:child_process';

/** The interpreter and whether `modules` import in it; `reason` says why not. */
export function pythonWith(modules: string[]): { python: string; ok: boolean; reason: string } {
  const python = process.env['RAVEN_PYTHON'] ?? 'python3';
  const r = spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8', timeout: 120_000 });
  if (r.error !== undefined) return { python, ok: false, reason: `${python} cannot run (${r.error.message}); set RAVEN_PYTHON` };
  if (r.status !== 0) return { python, ok: false, reason: `${python} lacks ${modules.join(', ')}: ${r.stderr.trim().split('\n').pop()}` };
  return { python, ok: true, reason: '' };
}

/** Runs a Python script file with `input` on stdin and returns its stdout. */
export function runPython(python: string, script: string, input: string): string {
  const r = spawnSync(python, [script], { input, encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return r.stdout;
}
