/**
 * The BERT-base benchmark, one command for every engine on this machine:
 *
 *   npm run bench -w @raven/kaun-hf
 *
 * For each nx backend that loads (`BENCH_BACKENDS`, default `tensorflow,wasm`; `cpu` is
 * possible but takes many minutes), `bench/bert.ts` runs in its own process with `NX_BACKEND`
 * set: forward latency and AdamW training step of a BERT-base-shaped classifier at batch 8 x 128
 * (see that file). Then, when Python has torch and transformers (`$RAVEN_PYTHON`, else `python3`;
 * `BENCH_PYTORCH=0` skips it), `bench/bert_torch.py` measures PyTorch on the same shapes in the
 * same run. With the tensorflow backend, `bench/jit.ts` also times the same AdamW step as one
 * TensorFlow graph (`Train.make({jit: true})`, and with XLA; `BENCH_JIT=0` skips it). Prints the
 * results as JSON on stdout, and a table with the ratios to PyTorch on stderr. A backend that
 * does not load is listed with the reason.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;

const backends = (process.env['BENCH_BACKENDS'] ?? 'tensorflow,wasm').split(',').map((b) => b.trim()).filter(Boolean);

/** The last line of `out` that parses as a JSON object, or the whole output when it is one pretty-printed object. */
function lastJson(out: string): Json | undefined {
  const start = out.lastIndexOf('\n{');
  for (const text of [start >= 0 ? out.slice(start + 1) : out, ...out.trim().split('\n').reverse()]) {
    try {
      const v = JSON.parse(text) as unknown;
      if (v !== null && typeof v === 'object') return v as Json;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** Runs a command, passing its stderr through as it comes (progress), and collects both streams. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on('error', (e) => resolve({ status: null, stdout, stderr: stderr + String(e) }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function runBackend(backend: string): Promise<Json> {
  process.stderr.write(`[bench] nx on ${backend}\n`);
  const child = await run(process.execPath, [...process.execArgv, fileURLToPath(new URL('./bert.ts', import.meta.url))], { ...process.env, NX_BACKEND: backend });
  const result = child.status === 0 ? lastJson(child.stdout) : undefined;
  if (result) return { engine: `nx ${backend}`, ...result };
  // the error's own line ("BackendError: ..."), not the source line of the throw above it
  const why = child.stderr.split('\n').find((l) => /^[A-Za-z]*Error:/.test(l.trim())) ?? `exit status ${String(child.status)}`;
  return { engine: `nx ${backend}`, backend, loaded: !/cannot be loaded/.test(why), failed: why.slice(0, 400) };
}

async function runPytorch(): Promise<Json | undefined> {
  if (process.env['BENCH_PYTORCH'] === '0') return undefined;
  const python = process.env['RAVEN_PYTHON'] || 'python3';
  const probe = spawnSync(python, ['-c', 'import torch, transformers'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.status !== 0) {
    process.stderr.write(`[bench] PyTorch skipped: ${python} cannot import torch and transformers\n`);
    return { engine: 'pytorch', skipped: `${python} cannot import torch and transformers` };
  }
  process.stderr.write(`[bench] PyTorch (${python})\n`);
  const child = await run(python, [fileURLToPath(new URL('./bert_torch.py', import.meta.url))], process.env);
  const r = lastJson(child.stdout);
  if (!r) return { engine: 'pytorch', failed: child.stderr.trim().split('\n').slice(-3).join(' ').slice(0, 400) };
  return { ...r, engine: `pytorch ${String(r['torch'])} (${String(r['device'])}, ${String(r['threads'])} threads)` };
}

/** Mean forward and AdamW-step milliseconds of a result, when it has them. */
function figures(r: Json): { forward?: number; adamw?: number } {
  const forward = (r['forward'] as { latencyMs?: { mean?: number } } | undefined)?.latencyMs?.mean;
  const train = (r['train'] as Json[] | undefined)?.find((t) => t['optimizer'] === 'adamw' && t['failed'] === undefined);
  const adamw = (train?.['stepMs'] as { mean?: number } | undefined)?.mean;
  return { ...(forward !== undefined ? { forward } : {}), ...(adamw !== undefined ? { adamw } : {}) };
}

const results: Json[] = [];
for (const b of backends) results.push(await runBackend(b));
// nx.jit: the AdamW step as one graph, eager and jitted side by side (bench/jit.ts)
if (backends.includes('tensorflow') && process.env['BENCH_JIT'] !== '0' && results.some((r) => r['engine'] === 'nx tensorflow' && r['failed'] === undefined)) {
  const jit = ((await import(new URL('./jit.ts', import.meta.url).href)) as { benchJit: () => Json }).benchJit();
  for (const mode of ['jit', 'xla'] as const) {
    const m = jit[mode] as (Json & { stepSeconds?: { mean: number } }) | undefined;
    const engine = `nx tensorflow, ${mode === 'jit' ? 'jit' : 'jit + XLA'}`;
    if (m?.stepSeconds) results.push({ engine, ...m, train: [{ optimizer: 'adamw', stepMs: { mean: Math.round(m.stepSeconds.mean * 1000) } }] });
    else results.push({ engine, failed: String(m?.['error'] ?? 'no result') });
  }
}
const torch = await runPytorch();
if (torch) results.push(torch);

const base = torch ? figures(torch) : {};
const seconds = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (ms: number | undefined, ref: number | undefined): string => (ms === undefined || ref === undefined ? '' : ` (${(ms / ref).toFixed(2)}x PyTorch)`);
const lines = ['', 'BERT-base classifier, batch 8 x 128, random weights:', 'engine | forward | AdamW train step'];
for (const r of results) {
  const f = figures(r);
  const note = r['failed'] ? ` - ${String(r['failed']).slice(0, 120)}` : r['skipped'] ? ` - skipped: ${String(r['skipped'])}` : '';
  const train = (r['train'] as Json[] | undefined)?.find((t) => t['optimizer'] === 'adamw');
  const fallback = (r['train'] as Json[] | undefined)?.find((t) => t['failed'] === undefined && t['optimizer'] !== 'adamw');
  const fallbackText = fallback ? `; ${String(fallback['optimizer'])} at batch ${String(fallback['batch'])}: ${seconds((fallback['stepMs'] as { mean: number }).mean)}` : '';
  const adamw = f.adamw !== undefined ? seconds(f.adamw) + ratio(f.adamw, base.adamw) : train?.['failed'] ? `does not fit (${String(train['failed'])})${fallbackText}` : '-';
  lines.push(`${String(r['engine'])} | ${seconds(f.forward)}${ratio(f.forward, base.forward)} | ${adamw}${note}`);
}
process.stderr.write(lines.join('\n') + '\n');
console.log(JSON.stringify({ benchmark: 'BERT-base-shaped BertForSequenceClassification, batch 8 x 128, random weights', cpus: cpus().length, node: process.version, results }, null, 2));
