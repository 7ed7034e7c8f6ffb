/**
 * Benchmark of BERT on the running nx backend, printed as JSON: forward latency of a
 * BERT-base-shaped BertForSequenceClassification (hidden 768, 12 layers, 12 heads, intermediate
 * 3072, vocabulary 30522; random weights of the real size) on a batch of 8 sequences of 128
 * tokens, and training throughput (one AdamW step: forward, backward, update) in sequences per
 * second (batch 8, or 2 on wasm, whose 4 GiB heap cannot hold a batch of 8: see `TRAIN_BATCH`). Bounded: a warm-up and a few timed iterations (`BENCH_FORWARD_ITERS`, default 3;
 * `BENCH_TRAIN_ITERS`, default 2), because wasm needs seconds per iteration at this size.
 *
 *   npm run bench -w @raven/kaun-hf            (NX_BACKEND=cpu|wasm|tensorflow to choose)
 * @module
 */
import * as nx from '@raven/nx';
import { Optim, Ptree, Train } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';

const BATCH = 8;
const SEQ = 128;
/**
 * Training batch. On wasm the heap is capped at 4 GiB: BERT-base's weights, gradients and AdamW
 * moments take 1.7 GiB and the activations kept for the backward pass about 0.3 GiB per sequence
 * of 128 tokens, so a batch of 8 does not fit; default 2 there, 8 elsewhere (`BENCH_TRAIN_BATCH`).
 */
const TRAIN_BATCH = Number(process.env['BENCH_TRAIN_BATCH'] ?? (nx.backendInfo().backend === 'wasm' ? 2 : BATCH));
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

const config = Bert.parseConfig({ num_labels: 2 }); // transformers' defaults are bert-base's shape
const model = Bert.bertForSequenceClassification(config);
const tInit = performance.now();
const vars = model.init({ key: nx.random.key(0) });
const initSeconds = (performance.now() - tInit) / 1000;
const parameters = Ptree.countParameters(vars.params);
const inputs = {
  inputIds: nx.random.randint(nx.random.key(1), [BATCH, SEQ], 0, config.vocab_size),
  attentionMask: nx.ones([BATCH, SEQ], 'int32'),
};
const trainInputs = {
  inputIds: nx.random.randint(nx.random.key(3), [TRAIN_BATCH, SEQ], 0, config.vocab_size),
  attentionMask: nx.ones([TRAIN_BATCH, SEQ], 'int32'),
};
const labels = nx.random.randint(nx.random.key(2), [TRAIN_BATCH], 0, 2);

note(`initialised BERT-base in ${initSeconds.toFixed(1)} s`);
// forward (eval mode), reading the logits back so the time includes the whole computation
const forward = time(forwardIters, () => {
  const logits = nx.scope(() => model.apply(vars, inputs).y.logits);
  nx.toTypedArray(logits);
  nx.dispose(logits);
});

note(`forward: ${forward.wall.map((w) => w.toFixed(2)).join(', ')} s`);
// training: Train.step (dropout on, AdamW with weight decay), reading the loss back
const trainer = Train.make({
  model: { init: (o) => model.init(o), apply: (v, x: typeof inputs, o) => ({ y: nx.scope(() => model.apply(v, x, o).y.logits), state: v.state }) },
  optimizer: Optim.adamw({ lr: 2e-5, weightDecay: 0.01 }),
  loss: (logits: nx.Tensor, y: nx.Tensor) => Bert.sequenceClassificationLoss(config, logits, y),
});
let state = Train.makeState(trainer, vars);
const tensorsBefore = nx.memory().numTensors;
note('optimizer state made; training');
const train = time(trainIters, () => {
  const r = Train.step(trainer, state, { x: trainInputs, y: labels });
  state = r.state;
  nx.item(r.loss);
  nx.dispose(r.loss);
  note(`train step ${state.step} done`);
});

const info = nx.backendInfo();
console.log(JSON.stringify({
  benchmark: 'BERT-base-shaped BertForSequenceClassification, random weights',
  backend: info.backend,
  device: info.device,
  tfjs: info.version,
  model: { hidden: config.hidden_size, layers: config.num_hidden_layers, heads: config.num_attention_heads, intermediate: config.intermediate_size, vocab: config.vocab_size, parameters },
  initSeconds: round(initSeconds, 1),
  forward: {
    batch: BATCH, seqLen: SEQ, iterations: forwardIters,
    latencyMs: { mean: round(1000 * mean(forward.wall), 0), min: round(1000 * Math.min(...forward.wall), 0) },
    cpuSecondsPerIteration: round(mean(forward.cpu), 2),
    sequencesPerSecond: round(BATCH / mean(forward.wall), 2),
  },
  train: {
    batch: TRAIN_BATCH, seqLen: SEQ, iterations: trainIters, optimizer: 'AdamW', dropout: true,
    stepMs: { mean: round(1000 * mean(train.wall), 0), min: round(1000 * Math.min(...train.wall), 0) },
    cpuSecondsPerStep: round(mean(train.cpu), 2),
    sequencesPerSecond: round(TRAIN_BATCH / mean(train.wall), 3),
    tensorsLeakedPerStep: (nx.memory().numTensors - tensorsBefore) / (trainIters + 1),
  },
  note: 'wall times include other load on the machine; cpuSeconds counts this process only (wasm runs one thread)',
}, null, 2));
nx.dispose([state.vars.params, state.optState, inputs, trainInputs, labels]);
