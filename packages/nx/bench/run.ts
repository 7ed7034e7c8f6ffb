/**
 * The nx benchmark: for each backend that loads (tensorflow, wasm, cpu), prints one JSON object
 * to stdout with matmul and transposed-matmul GFLOP/s at 256/512/1024, elementwise throughput,
 * per-op dispatch overhead and an MLP training step. A backend is chosen when nx is imported,
 * so each runs in its own child process (`bench/worker.ts` with `NX_BACKEND` set); a backend
 * that cannot load is reported on stderr. Run with `npm run bench -w @raven/nx`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
const backends = (process.env['NX_BENCH_BACKENDS'] ?? 'tensorflow,wasm,cpu').split(',').map((b) => b.trim()).filter(Boolean);
let failures = 0;

for (const backend of backends) {
  // the child runs under the same loader and flags as this process (tsx, --conditions=source)
  const child = spawnSync(process.execPath, [...process.execArgv, worker], {
    env: { ...process.env, NX_BACKEND: backend },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('{'));
  if (child.status === 0 && line !== undefined) {
    process.stdout.write(line + '\n');
    continue;
  }
  const why = (child.stderr ?? '').split('\n').find((l) => l.includes('cannot be loaded')) ?? (child.error ? String(child.error) : `exit status ${child.status}`);
  process.stderr.write(`nx bench: backend ${backend} skipped: ${why.trim()}\n`);
  if (!why.includes('cannot be loaded')) failures++;
}
process.exitCode = failures > 0 ? 1 : 0;
