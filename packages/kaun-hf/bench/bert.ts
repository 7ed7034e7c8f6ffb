/**
 * One backend's part of the BERT benchmark (`bench/run.ts` runs it once per backend, with
 * `NX_BACKEND` set), printed as JSON: forward latency of a
 * BERT-base-shaped BertForSequenceClassification (hidden 768, 12 layers, 12 heads, intermediate
 * 3072, vocabulary 30522; random weights of the real size) on a batch of 8 sequences of 128
 * tokens, and training throughput (`Train.step`: forward, backward, optimizer update, dropout on)
 * in sequences per second. Bounded: a warm-up and a few timed iterations
 * (`BENCH_FORWARD_ITERS`, default 3; `BENCH_TRAIN_ITERS`, default 2; `BENCH_TRAIN_BATCH`,
 * default 8), because wasm needs seconds per iteration at this size.
 *
 * Training runs in a child process per attempt, AdamW first: wasm's heap is capped at 4 GiB and
 * an exhausted heap aborts the process. When AdamW does not fit, SGD (no optimizer state) at the
 * same batch, then at batches 2 and 1, is measured instead, and the JSON lists each failure.
 *
 *   NX_BACKEND=tensorflow npx tsx --conditions=source packages/kaun-hf/bench/bert.ts
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { Optim, Ptree, Train } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';

const SEQ = 128;
const FORWARD_BATCH = 8;
const TRAIN_BATCH = Number(process.env['BENCH_TRAIN_BATCH'] ?? 8);
const forwardIters = Number(process.env['BENCH_FORWARD_ITERS'] ?? 3);
const trainIters = Number(process.env['BENCH_TRAIN_ITERS'] ?? 2);

/** Progress on stderr (stdout is the JSON). */
const note = (msg: string): void => {
  process.stderr.write(`[bench] ${msg} (live tensor data ${(nx.memory().numBytes / 2 ** 20).toFixed(0)} MiB)\n`);
};

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Runs `f` once to warm up, then `n` times; wall and process-CPU seconds of each timed run. */
function time(n: number, f: () => void): { wall: number[]; cpu: number[] } {
  f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = performance.now();
    const c = cpuSeconds();
    f();
    wall.push((performance.now() - w) / 1000);
    cpu.push(cpuSeconds() - c);
  }
  return { wall, cpu };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number, d = 3): number => Number(x.toFixed(d));

/** A BERT-base-shaped classifier with random weights (transformers' BertConfig defaults). */
function bertBase(): { config: Bert.BertConfig; model: Bert.SequenceClassifier; vars: ReturnType<Bert.SequenceClassifier['init']>; seconds: number } {
  const config = Bert.parseConfig({ num_labels: 2 });
  const model = Bert.bertForSequenceClassification(config);
  const t = performance.now();
  const vars = model.init({ key: nx.random.key(0) });
  return { config, model, vars, seconds: (performance.now() - t) / 1000 };
}

const randomBatch = (config: Bert.BertConfig, b: number) => ({
  inputIds: nx.random.randint(nx.random.key(b), [b, SEQ], 0, config.vocab_size),
  attentionMask: nx.ones([b, SEQ], 'int32'),
});

/** Child process: training steps with one optimizer; prints one JSON line. */
function trainPart(optimizer: 'adamw' | 'sgd', batch: number): void {
  const { config, model, vars } = bertBase();
  const x = randomBatch(config, batch);
  const y = nx.random.randint(nx.random.key(2), [batch], 0, 2);
  const trainer = Train.make({
    model: { init: (o) => model.init(o), apply: (v, xs: typeof x, o) => ({ y: nx.scope(() => model.apply(v, xs, o).y.logits), state: v.state }) },
    optimizer: optimizer === 'adamw' ? Optim.adamw({ lr: 2e-5, weightDecay: 0.01 }) : Optim.sgd({ lr: 1e-3 }),
    loss: (logits: nx.Tensor, t: nx.Tensor) => Bert.sequenceClassificationLoss(config, logits, t),
  });
  let state = Train.makeState(trainer, vars);
  note(`training with ${optimizer}, batch ${batch}`);
  const before = nx.memory().numTensors;
  const r = time(trainIters, () => {
    const s = Train.step(trainer, state, { x, y });
    state = s.state;
    nx.item(s.loss);
    nx.dispose(s.loss);
    note(`${optimizer} step ${state.step} done`);
  });
  console.log(JSON.stringify({
    optimizer, batch, seqLen: SEQ, iterations: trainIters, dropout: true,
    stepMs: { mean: round(1000 * mean(r.wall), 0), min: round(1000 * Math.min(...r.wall), 0) },
    cpuSecondsPerStep: round(mean(r.cpu), 2),
    sequencesPerSecond: round(batch / mean(r.wall), 3),
    tensorsLeakedPerStep: (nx.memory().numTensors - before) / (trainIters + 1),
  }));
}

/** Runs {@link trainPart} in a child process; its JSON, or why it failed. */
function trainInChild(optimizer: 'adamw' | 'sgd', batch: number): Record<string, unknown> {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--train-part', optimizer, String(batch)], {
    encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = child.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (child.status === 0 && line !== undefined) return JSON.parse(line) as Record<string, unknown>;
  const progress = child.stderr.split('\n').filter((l) => l.startsWith('[bench]')).pop() ?? '';
  const heap = /WasmHeapError|Aborted\(\)|XNN status .* 6|out of (wasm )?memory/i.test(child.stderr);
  return {
    optimizer,
    batch,
    failed: heap ? 'the wasm heap (4 GiB at most) was exhausted' : `exit status ${String(child.status)}`,
    lastProgress: progress,
    error: child.stderr.split('\n').filter((l) => /^(RuntimeError|XNN|Error|[A-Za-z]*Error:)/.test(l)).slice(0, 2).map((l) => l.slice(0, 400)),
  };
}

function main(): void {
  const { config, model, vars, seconds } = bertBase();
  const parameters = Ptree.countParameters(vars.params);
  note(`initialised BERT-base (${parameters} parameters) in ${seconds.toFixed(1)} s`);
  const x = randomBatch(config, FORWARD_BATCH);
  const forward = time(forwardIters, () => {
    const logits = nx.scope(() => model.apply(vars, x).y.logits);
    nx.toTypedArray(logits); // read back: the time covers the whole computation
    nx.dispose(logits);
  });
  note(`forward: ${forward.wall.map((w) => w.toFixed(2)).join(', ')} s`);
  nx.dispose([vars.params, x]);
  // AdamW at the requested batch first; where that exhausts the wasm heap, SGD at smaller batches
  const attempts: Array<['adamw' | 'sgd', number]> = [['adamw', TRAIN_BATCH], ['sgd', TRAIN_BATCH], ['sgd', 2], ['sgd', 1]];
  const train: Record<string, unknown>[] = [];
  for (const [opt, b] of attempts) {
    if (b > TRAIN_BATCH || train.some((t) => t['optimizer'] === opt && t['batch'] === b)) continue;
    const r = trainInChild(opt, b);
    train.push(r);
    if (r['failed'] === undefined) break;
  }
  const info = nx.backendInfo();
  console.log(JSON.stringify({
    benchmark: 'BERT-base-shaped BertForSequenceClassification, random weights',
    backend: info.backend,
    device: info.device,
    tfjs: info.version,
    ...(info.tensorflow ? { tensorflow: { version: info.tensorflow.tensorflowVersion, gpu: info.tensorflow.gpu, library: info.tensorflow.library } } : {}),
    model: { hidden: config.hidden_size, layers: config.num_hidden_layers, heads: config.num_attention_heads, intermediate: config.intermediate_size, vocab: config.vocab_size, parameters },
    initSeconds: round(seconds, 1),
    forward: {
      batch: FORWARD_BATCH, seqLen: SEQ, iterations: forwardIters,
      latencyMs: { mean: round(1000 * mean(forward.wall), 0), min: round(1000 * Math.min(...forward.wall), 0) },
      cpuSecondsPerIteration: round(mean(forward.cpu), 2),
      sequencesPerSecond: round(FORWARD_BATCH / mean(forward.wall), 2),
    },
    train,
    note: 'wall times include other load on the machine; cpuSeconds counts this process only (wasm runs one thread)',
  }, null, 2));
}

const part = process.argv.indexOf('--train-part');
if (part >= 0) trainPart(process.argv[part + 1] === 'sgd' ? 'sgd' : 'adamw', Number(process.argv[part + 2]));
else main();
