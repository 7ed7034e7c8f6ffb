import * as nx from '@raven/nx';
import { Data, Layer, Loss, Metric, Optim, Ptree, Train } from '@raven/kaun';
export {};
// ---- 03-training.md:8
// ---- 03-training.md:16
/** `n` points around three centres: x float32 [n, 2], y int32 class ids [n]. */
function blobs(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const [kNoise, kLabel] = nx.random.split(nx.random.key(seed), 2);
  const noise = nx.random.normalArray(kNoise!, 2 * n);         // host arrays, no tensors
  const y = nx.random.randintArray(kLabel!, n, 0, 3);
  const centres = [[0, 2], [-2, -1], [2, -1]];
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = centres[y[i]!]![0]! + 0.8 * noise[2 * i]!;
    x[2 * i + 1] = centres[y[i]!]![1]! + 0.8 * noise[2 * i + 1]!;
  }
  return { x, y };
}

const trainSet = blobs(2000, 0);
const valSet = blobs(500, 1);

const makeModel = () => Layer.sequential([
  Layer.linear({ inFeatures: 2, outFeatures: 32 }),
  Layer.relu(),
  Layer.dropout({ rate: 0.1 }),
  Layer.linear({ inFeatures: 32, outFeatures: 3 }),
]);
// ---- 03-training.md:55
const p0 = { w: nx.fromArray([1, -2]) };
const g0 = { w: nx.fromArray([0.5, 0.5]) };
const sgd = Optim.sgd({ lr: 0.1 });
const sgdState = sgd.init(p0);
const { updates } = sgd.update(g0, sgdState, p0);
const p1 = Optim.applyUpdates(p0, updates) as { w: nx.Tensor };
console.log(nx.toArray(p1.w)); // [0.95, -2.05]: w - lr * g
// ---- 03-training.md:76
const optimizers = {
  momentum: Optim.sgd({ lr: 0.05, momentum: 0.9 }),
  nesterov: Optim.sgd({ lr: 0.05, momentum: 0.9, nesterov: true }),
  adam: Optim.adam({ lr: 1e-2 }),
  // no decay on biases: the mask gets each parameter's path
  adamw: Optim.adamw({ lr: 1e-2, weightDecay: 0.01, mask: (path) => !path.endsWith('bias') }),
  rmsprop: Optim.rmsprop({ lr: 1e-3 }),
  adagrad: Optim.adagrad({ lr: 0.1 }),
};
// ---- 03-training.md:91
const adamState = optimizers.adam.init(p0);
console.log(Ptree.paths(adamState)); // ['0.count', '0.mu.w', '0.nu.w']
Ptree.dispose([adamState, sgdState, p1]);
// ---- 03-training.md:102
const S = Optim.Schedule;
const schedules = {
  constant: S.constant(1e-3),
  linear: S.linear({ init: 1e-3, end: 0, steps: 1000 }),
  cosine: S.cosine({ init: 1e-3, decaySteps: 1000, alpha: 0.1 }),
  warmupLinear: S.warmupLinear({ peak: 1e-3, warmupSteps: 100, totalSteps: 1000 }), // BERT's
  warmupCosine: S.warmupCosine({ peak: 1e-3, warmupSteps: 100, decaySteps: 1000 }),
  exponential: S.exponential({ init: 1e-3, decayRate: 0.5, transitionSteps: 250, staircase: true }),
  piecewise: S.piecewise({ boundaries: [300, 600], values: [1e-3, 1e-4, 1e-5] }),
};
for (const [name, s] of Object.entries(schedules)) {
  console.log(name.padEnd(12), [0, 50, 100, 500, 1000].map((t) => s(t).toExponential(1)).join('  '));
}
// warmupLinear 0.0e+0  5.0e-4  1.0e-3  5.6e-4  0.0e+0  (for example)

const scheduled = Optim.adamw({ lr: S.warmupCosine({ peak: 1e-2, warmupSteps: 10, decaySteps: 200 }) });
// ---- 03-training.md:129
const clipped = Optim.chain(Optim.clipByGlobalNorm(1.0), Optim.adamw({ lr: 1e-3 }));

const big = { a: nx.fromArray([3, 4]), b: nx.fromArray([12]) }; // global norm 13
console.log(Number(nx.item(Optim.globalNorm(big))));              // 13
const clip = Optim.clipByGlobalNorm(1.0);
const { updates: small } = clip.update(big, clip.init(big));
console.log(Number(nx.item(Optim.globalNorm(small))).toFixed(4)); // 1.0000

// Adam from its pieces: the moments, then the (negative) learning rate
const handmadeAdam = Optim.chain(Optim.scaleByAdam({ b1: 0.9, b2: 0.999 }), Optim.scaleByLearningRate(1e-3));
// ---- 03-training.md:152
const logits = nx.fromArray([[2, 0, -1], [0.5, 1.5, 0]]);
const labels = nx.fromArray([0, 1], { dtype: 'int32' });             // class ids...
const oneHot = nx.oneHot(labels, 3);                                 // ...or one-hot rows
const ce = (t: nx.Tensor) => Number(nx.item(t)).toFixed(4);
console.log(ce(Loss.softmaxCrossEntropy(logits, labels)));           // 0.3185
console.log(ce(Loss.softmaxCrossEntropy(logits, oneHot)));           // 0.3185: the same
console.log(ce(Loss.softmaxCrossEntropy(logits, labels, { labelSmoothing: 0.1 })));
console.log(nx.toArray(Loss.softmaxCrossEntropy(logits, labels, { reduction: 'none' }))); // per example

const scores = nx.fromArray([3, -2, 0.5]);
const truth = nx.fromArray([1, 0, 1]);
console.log(ce(Loss.sigmoidBinaryCrossEntropy(scores, truth)));      // binary, from logits
console.log(ce(Loss.mse(scores, truth)), ce(Loss.mae(scores, truth)), ce(Loss.huber(scores, truth, { delta: 1 })));
// ---- 03-training.md:185
const rows = Data.fromArrays({
  x: { data: trainSet.x, shape: [2000, 2] },
  y: trainSet.y, // an Int32Array: int32 batches
});
const train = rows.shuffle(nx.random.key(7)).batch(64);
const val = Data.fromArrays({ x: { data: valSet.x, shape: [500, 2] }, y: valSet.y }).batch(250);
console.log(rows.length, train.length, val.length); // 2000 32 2

// one epoch by hand: look at the first batch, then stop (the pipeline frees what it holds)
for (const batch of train.iterate(0)) {
  console.log(batch.x.shape, batch.y.shape, batch.y.dtype); // [64, 2] [64] int32
  nx.dispose(batch);
  break;
}

// a train / validation split of one source, and a transformation per batch
const holdOut = rows.skip(1800).batch(100);
const standardised = rows.take(1800).shuffle(nx.random.key(8)).batch(64)
  .map(({ x, y }) => ({ x: nx.div(x, 2), y }))
  .prefetch(2);
console.log(holdOut.length, standardised.length); // 2 29
// ---- 03-training.md:211
const synthetic = Data.fromGenerator(function* (epoch: number) {
  for (let i = 0; i < 4; i++) yield { x: nx.full([8, 2], epoch + i), y: nx.zeros([8], 'int32') };
}, { length: 4 });
let seen = 0;
for (const b of synthetic.iterate(1)) { seen++; nx.dispose(b); }
console.log(seen); // 4
// ---- 03-training.md:228
const model = makeModel();
const trainer = Train.make({
  model,
  optimizer: Optim.adam({ lr: 1e-2 }),
  loss: Loss.softmaxCrossEntropy,
  metrics: { accuracy: Metric.accuracy },
});

let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
for (const batch of train.iterate(0)) {
  const r = Train.step(trainer, state, batch); // forward, backward, update; dropout gets a fresh key
  state = r.state;                             // the old state's replaced tensors are freed
  if (state.step % 10 === 0) console.log(`step ${state.step}  loss ${Number(nx.item(r.loss)).toFixed(4)}`);
  nx.dispose([r.loss, batch]);
}
console.log(Train.evaluate(trainer, state, val)); // { loss: ..., accuracy: ... }
// ---- 03-training.md:262
const epochLog: string[] = [];
const logger: Train.Callbacks = {
  onEpochEnd: ({ epoch, logs, seconds }) => {
    epochLog.push(`epoch ${epoch}: val_accuracy ${logs['val_accuracy']!.toFixed(3)} (${seconds.toFixed(2)} s)`);
  },
};

const fitted = await Train.fit(trainer, state, train, {
  epochs: 30,
  validation: val,
  callbacks: [logger],
  earlyStopping: { monitor: 'val_loss', patience: 3, restoreBest: true },
  progress: false,
});
state = fitted.state;
console.log(epochLog.slice(0, 3).join('\n'));
console.log('stopped early:', fitted.stopped, 'best epoch:', fitted.bestEpoch, 'epochs run:', fitted.history['loss']!.length);
// ---- 03-training.md:286
const stopEarly: Train.Callbacks = {
  onBatchEnd: ({ batch, stop }) => { if (batch === 4) stop(); },
};
const short = await Train.fit(trainer, state, train, { callbacks: stopEarly, progress: false });
state = short.state;
console.log(short.stopped); // true
// ---- 03-training.md:302
const predictions = nx.fromArray([0, 2, 1, 1, 0], { dtype: 'int32' });
const truths = nx.fromArray([0, 1, 1, 2, 0], { dtype: 'int32' });
const m = (t: nx.Tensor) => Number(nx.item(t)).toFixed(3);
console.log(m(Metric.accuracy(predictions, truths)));                                    // 0.600
console.log(m(Metric.f1(predictions, truths, { numClasses: 3, average: 'macro' })));     // 0.500
console.log(nx.toArray(Metric.confusionMatrix(predictions, truths, { numClasses: 3 }))); // [[2, 0, 0], [0, 1, 1], [0, 1, 0]]
// ---- 03-training.md:315
const evaluation = Train.evaluate(trainer, state, val, {
  metrics: {
    accuracy: Metric.accuracy,
    top2: (y, t) => Metric.topKAccuracy(y, t, { k: 2 }),
    f1: Metric.confusion({ metric: 'f1', numClasses: 3, average: 'macro' }),
  },
});
console.log(evaluation); // { loss, accuracy, top2, f1 }
if (evaluation['accuracy']! < 0.8) throw new Error(`the blobs should be easy, got accuracy ${evaluation['accuracy']}`);
// ---- 03-training.md:333
const grid = nx.fromArray([[0, 2], [-2, -1], [2, -1]]); // the three centres
const centreClasses = nx.scope(() => nx.argmax(Train.predict(trainer, state, grid), { axis: -1 }));
console.log(nx.toArray(centreClasses)); // [0, 1, 2]
const allLogits = Train.predict(trainer, state, val);
console.log(allLogits.shape);           // [500, 3]
nx.dispose([grid, centreClasses, allLogits]);
// ---- 03-training.md:350
const net = makeModel();
const vars = net.init({ key: nx.random.key(1) });
const optimizer = Optim.chain(Optim.clipByGlobalNorm(1), Optim.adam({ lr: 1e-2 }));
let params = vars.params;
let optState = optimizer.init(params);

function trainStep(batch: { x: nx.Tensor; y: nx.Tensor }, stepKey: nx.random.Key): nx.Tensor {
  const { leaves, rebuild } = Ptree.flatten(params);
  const out = nx.scope(() => {
    const lossOf = (...ls: nx.Tensor[]) => {
      const { y } = net.apply({ ...vars, params: rebuild(ls) }, batch.x, { training: true, key: stepKey });
      return Loss.softmaxCrossEntropy(y, batch.y);
    };
    const { value, grads } = nx.valueAndGrad(lossOf)(...leaves);
    const { updates, state: nextOpt } = optimizer.update(rebuild(grads), optState, params);
    return { params: Optim.applyUpdates(params, updates), optState: nextOpt, loss: value };
  });
  Ptree.dispose([params, optState]); // the old values are no longer needed
  params = out.params;
  optState = out.optState;
  return out.loss;
}

let stepCount = 0;
const liveBefore = nx.memory().numTensors;
for (let epoch = 0; epoch < 3; epoch++) {
  let sum = 0;
  let count = 0;
  for (const batch of train.iterate(epoch)) {
    const loss = trainStep(batch, nx.random.foldIn(nx.random.key(99), stepCount++));
    sum += Number(nx.item(loss)); // reading the loss waits for the device; fine for a toy
    count++;
    nx.dispose([loss, batch]);
  }
  console.log(`epoch ${epoch}: mean loss ${(sum / count).toFixed(4)}`);
}
console.log('live tensors before and after:', liveBefore, nx.memory().numTensors); // equal
// ---- 03-training.md:408
const start = nx.memory();
for (let i = 0; i < 100; i++) {
  const r = nx.scope(() => {
    const a = nx.random.normal(nx.random.key(i), [64, 64]);
    return nx.sum(nx.matmul(a, nx.transpose(a)));
  });
  nx.dispose(r);
}
console.log(nx.memory().numTensors - start.numTensors); // 0
