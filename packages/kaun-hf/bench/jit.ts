/**
 * nx.jit benchmark for BERT-base: the AdamW training step (BertForSequenceClassification of
 * BERT-base shape, random weights, batch 8 x 128, dropout on) eager and as one graph
 * (`Train.make({jit: true})`), and with XLA (`jit: {xla: true}`), on the native backend, one
 * child process per mode (NX_BACKEND=tensorflow). The first jitted step includes the trace (an
 * eager step) and TensorFlow's graph optimisation; `firstStepSeconds` reports it; the figure to
 * compare is the mean of the next `BENCH_JIT_BERT_ITERS` (default 3) steps. PyTorch's figure for
 * the same step is in this package's main benchmark (`npm run bench -w @raven/kaun-hf`).
 *
 *   npm run bench:jit -w @raven/kaun-hf
 * @module
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { Optim, Train } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';

type Mode = 'eager' | 'jit' | 'xla';
const ITERS = Number(process.env['BENCH_JIT_BERT_ITERS'] ?? 3);
const BATCH = 8;
const SEQ = 128;
const round = (v: number, d = 3): number => Number(v.toFixed(d));

/** Child: one mode; prints one JSON line. */
function child(mode: Mode): void {
  if (nx.backendInfo().backend !== 'tensorflow') throw new Error('the native backend did not load');
  const config = Bert.parseConfig({ num_labels: 2 });
  const model = Bert.bertForSequenceClassification(config);
  const vars = model.init({ key: nx.random.key(0) });
  type X = { inputIds: nx.Tensor; attentionMask: nx.Tensor };
  const trainer = Train.make({
    model: { init: (o) => model.init(o), apply: (v, xs: X, o) => ({ y: model.apply(v, xs, o).y.logits, state: v.state }) },
    optimizer: Optim.adamw({ lr: 2e-5, weightDecay: 0.01 }),
    loss: (logits: nx.Tensor, t: nx.Tensor) => Bert.sequenceClassificationLoss(config, logits, t),
    jit: mode === 'eager' ? false : { xla: mode === 'xla' },
  });
  let state = Train.makeState(trainer, vars);
  const batch = {
    x: { inputIds: nx.random.randint(nx.random.key(1), [BATCH, SEQ], 0, config.vocab_size), attentionMask: nx.ones([BATCH, SEQ], 'int32') },
    y: nx.random.randint(nx.random.key(2), [BATCH], 0, 2),
  };
  const step = (): number => {
    const t0 = performance.now();
    const r = Train.step(trainer, state, batch);
    state = r.state;
    nx.item(r.loss); // wait for the step
    r.loss.dispose();
    return (performance.now() - t0) / 1000;
  };
  const first = step();
  const c0 = process.cpuUsage();
  const wall: number[] = [];
  for (let i = 0; i < ITERS; i++) wall.push(step());
  const c = process.cpuUsage(c0);
  const mean = wall.reduce((a, b) => a + b, 0) / wall.length;
  console.log(JSON.stringify({
    firstStepSeconds: round(first, 2),
    stepSeconds: { mean: round(mean, 3), min: round(Math.min(...wall), 3) },
    cpuSecondsPerStep: round((c.user + c.system) / 1e6 / ITERS, 2),
    sequencesPerSecond: round(BATCH / mean, 3),
  }));
}

function runChild(mode: Mode): unknown {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'child', mode], {
    env: { ...process.env, NX_BACKEND: 'tensorflow' }, encoding: 'utf8', timeout: 3_600_000, maxBuffer: 1 << 26,
  });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || line === undefined) return { error: ((r.stderr ?? '') + String(r.error ?? '')).trim().split('\n').slice(-3).join(' ') };
  return JSON.parse(line) as unknown;
}

/** The benchmark: eager, jit and XLA, one after the other. */
export function benchJit(): object {
  const out: Record<string, unknown> = {
    benchmark: `BERT-base classifier AdamW step, batch ${BATCH} x ${SEQ}, dropout on, random weights`,
    machineLoadBefore: round(loadavg()[0]!, 2),
  };
  for (const mode of ['eager', 'jit', 'xla'] as const) {
    process.stderr.write(`[bench:jit] bert-base ${mode}\n`);
    out[mode] = runChild(mode);
  }
  out['machineLoadAfter'] = round(loadavg()[0]!, 2);
  return out;
}

if (process.argv[2] === 'child') child(process.argv[3] as Mode);
else if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(benchJit(), null, 2));
