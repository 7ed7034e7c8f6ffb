/**
 * Benchmark of generation with the key/value cache, printed as JSON: a GPT-2-small-shaped
 * GPT2LMHeadModel (transformers' GPT2Config defaults: 768 hidden, 12 layers, 12 heads, 50,257
 * tokens, 124 M parameters; random weights), a prompt of 128 tokens and 128 new tokens, greedy,
 * no early stop. For each nx backend that loads (one child process each: `wasm`, `tensorflow`,
 * `cpu`; choose with `BENCH_BACKENDS=wasm,tensorflow`), and for transformers + PyTorch when
 * `$RAVEN_PYTHON` (else `python3`) imports them (`bench/generate_torch.py`, the same shape and
 * lengths, `model.generate(use_cache=True)`). Figures: prompt (prefill) seconds, decoding tokens
 * per second after the first new token, total seconds; and each backend's decoding speed as a
 * ratio of PyTorch's.
 *
 *   npm run bench:generate -w @raven/kaun-hf        (RAVEN_PYTHON=/path/to/python for PyTorch)
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PROMPT = 128;
const NEW_TOKENS = 128;

interface Figures {
  engine: string;
  backend: string;
  device?: string;
  params?: number;
  initSeconds?: number;
  prefillSeconds: number;
  decodeTokensPerSecond: number;
  totalSeconds: number;
  error?: string;
}

const note = (msg: string): void => void process.stderr.write(`[bench:generate] ${msg}\n`);

/** Child process: one backend (NX_BACKEND), one JSON line. */
async function child(): Promise<void> {
  const nx = await import('@raven/nx');
  const { Ptree } = await import('@raven/kaun');
  const { CausalLM, Gpt2 } = await import('@raven/kaun-hf');
  const info = nx.backendInfo();
  const config = Gpt2.parseConfig({ resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
  const model = Gpt2.gpt2LMHeadModel(config);
  let t = performance.now();
  const vars = model.init({ key: nx.random.key(0) });
  const initSeconds = (performance.now() - t) / 1000;
  note(`${info.backend}: ${Ptree.countParameters(vars.params)} parameters initialised in ${initSeconds.toFixed(1)} s`);
  const prompt = Array.from(nx.random.randintArray(nx.random.key(1), PROMPT, 0, config.vocab_size));
  // warm-up: a short generation compiles kernels and fills caches
  await CausalLM.generate(model, vars, [prompt.slice(0, 8)], { maxNewTokens: 2, eosTokenIds: [] });
  const stamps: number[] = [];
  t = performance.now();
  await CausalLM.generate(model, vars, [prompt], { maxNewTokens: NEW_TOKENS, eosTokenIds: [], onToken: () => stamps.push(performance.now()) });
  const total = (performance.now() - t) / 1000;
  const prefill = (stamps[0]! - t) / 1000;
  const decode = (NEW_TOKENS - 1) / ((stamps.at(-1)! - stamps[0]!) / 1000);
  const out: Figures = {
    engine: 'raven', backend: info.backend, device: info.device, params: Ptree.countParameters(vars.params), initSeconds: round(initSeconds),
    prefillSeconds: round(prefill), decodeTokensPerSecond: round(decode), totalSeconds: round(total),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const round = (x: number, d = 3): number => Number(x.toFixed(d));

function lastJsonLine(stdout: string): Figures | undefined {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line === undefined ? undefined : (JSON.parse(line) as Figures);
}

/** Parent: every backend in its own process, then PyTorch. */
function parent(): void {
  const self = fileURLToPath(import.meta.url);
  const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
  const backends = (process.env['BENCH_BACKENDS'] ?? 'wasm,tensorflow,cpu').split(',').map((b) => b.trim()).filter(Boolean);
  const results: Figures[] = [];
  for (const backend of backends) {
    note(`running ${backend} ...`);
    const r = spawnSync(tsx, ['--conditions=source', self, '--child'], {
      encoding: 'utf8', env: { ...process.env, NX_BACKEND: backend }, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024,
    });
    const figures = lastJsonLine(r.stdout);
    if (r.status === 0 && figures) results.push(figures);
    else {
      note(`${backend} did not run (exit ${r.status})`);
      results.push({ engine: 'raven', backend, prefillSeconds: NaN, decodeTokensPerSecond: NaN, totalSeconds: NaN, error: `exit ${r.status}: backend not available or failed` });
    }
  }
  const python = process.env['RAVEN_PYTHON'] ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import transformers, torch'], { encoding: 'utf8' });
  let torch: Figures | undefined;
  if (probe.status === 0) {
    note(`running transformers + PyTorch (${python}) ...`);
    const script = fileURLToPath(new URL('./generate_torch.py', import.meta.url));
    const r = spawnSync(python, [script, String(PROMPT), String(NEW_TOKENS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    torch = lastJsonLine(r.stdout);
    if (torch) results.push(torch);
  } else note(`PyTorch skipped: ${python} cannot import transformers and torch (set RAVEN_PYTHON)`);
  const ratios: Record<string, number> = {};
  if (torch) for (const f of results) if (f.engine === 'raven' && Number.isFinite(f.decodeTokensPerSecond)) ratios[`${f.backend}/pytorch`] = round(f.decodeTokensPerSecond / torch.decodeTokensPerSecond);
  process.stdout.write(`${JSON.stringify({
    bench: 'causal-lm generation with KV cache', model: 'GPT-2 small shape (124M), random weights', promptTokens: PROMPT, newTokens: NEW_TOKENS, greedy: true,
    results, decodeSpeedRatio: ratios,
  }, null, 2)}\n`);
}

if (process.argv.includes('--child')) await child();
else parent();
