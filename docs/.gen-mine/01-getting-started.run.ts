import * as nx from '@raven/nx';
import { Data, Layer, Loss, Metric, Optim, Train } from '@raven/kaun';
import { Ptree } from '@raven/kaun';
import { Checkpoint, Datasets } from '@raven/kaun';
export {};
// ---- 01-getting-started.md:42

const a = nx.fromArray([[1, 2], [3, 4]]);       // float32 [2, 2]
const b = nx.add(nx.matmul(a, a), 1);           // numbers broadcast like NumPy scalars
console.log(nx.format(b));                      // tensor([[ 8., 11.], [16., 23.]], ...)
console.log(nx.toArray(nx.sum(b, { axis: 0 }))); // [24, 34]
console.log(nx.item(nx.mean(b)));               // 14.5
// ---- 01-getting-started.md:61
const live = nx.memory().numTensors;
const norm = nx.scope(() => nx.sqrt(nx.sum(nx.square(b)))); // the square and the sum are freed
console.log(Number(nx.item(norm)).toFixed(3));               // 32.078
nx.dispose([a, b, norm]);
console.log(nx.memory().numTensors === live - 2);            // true: a and b are gone too
// ---- 01-getting-started.md:72
const f = nx.valueAndGrad((w: nx.Tensor) => nx.sum(nx.square(w)));
const { value, grads } = f(nx.fromArray([1, 2, 3]));
console.log(nx.item(value), nx.toArray(grads[0]!)); // 14 [2, 4, 6]
nx.dispose([value, grads]);
// ---- 01-getting-started.md:84

// 1. The model: a value with init and apply. Sizes are given when the layer is built.
const xorModel = Layer.sequential([
  Layer.linear({ inFeatures: 2, outFeatures: 8 }),
  Layer.tanh(),
  Layer.linear({ inFeatures: 8, outFeatures: 1 }),
]);

// 2. Its variables: parameters drawn from an explicit random key.
const xorVars = xorModel.init({ key: nx.random.key(0) });

// 3. The data: the four examples, 50 times over, in batches of 4, as {x, y} batches.
const inputs = [[0, 0], [0, 1], [1, 0], [1, 1]];
const targets = [[0], [1], [1], [0]];
const xorData = Data.fromArrays({
  x: { data: inputs.flat(), shape: [4, 2] },
  y: { data: targets.flat(), shape: [4, 1] },
}).batch(4);

// 4. A trainer bundles the model, the optimizer and the loss (and metrics, if any).
const xorTrainer = Train.make({
  model: xorModel,
  optimizer: Optim.adam({ lr: 0.05 }),
  loss: Loss.sigmoidBinaryCrossEntropy, // the model outputs logits
  metrics: { accuracy: (logits, y) => Metric.binaryAccuracy(logits, y, { threshold: 0 }) },
});

// 5. Train: 200 epochs of one batch each. `fit` returns the trained state and the history.
const xorFit = await Train.fit(xorTrainer, Train.makeState(xorTrainer, xorVars), xorData, {
  epochs: 200,
  progress: false, // no progress lines for this tiny run
});
console.log('final loss', xorFit.history['loss']!.at(-1)!.toFixed(4));

// 6. Predict: the model's output in evaluation mode.
const xorInputs = nx.fromArray(inputs);
const probs = nx.scope(() => nx.sigmoid(Train.predict(xorTrainer, xorFit.state, xorInputs)));
console.log(nx.toArray(probs)); // close to [[0], [1], [1], [0]]
// ---- 01-getting-started.md:136

console.log(Ptree.format(Train.vars(xorFit.state).params, { title: 'XOR MLP' }));
// XOR MLP: 4 tensors, 33 parameters
//   0.weight  [8, 2]  float32  16
//   0.bias    [8]     float32   8
//   2.weight  [1, 8]  float32   8
//   2.bias    [1]     float32   1
nx.dispose([probs, xorInputs, Train.vars(xorFit.state).params, xorFit.state.optState]);
// ---- 01-getting-started.md:157

const mnist = await Datasets.mnist();
console.log(mnist.train.count, mnist.test.count, mnist.train.shape); // 60000 10000 [60000, 28, 28]
// ---- 01-getting-started.md:173
const TRAIN_SIZE = 10_000; // use mnist.train.count for the full set

const toBatch = ({ x, y }: { x: nx.Tensor; y: nx.Tensor }) => ({ x: nx.div(x, 255), y }); // pixels to [0, 1]

const train = Data.fromArrays({
  x: { data: mnist.train.images, shape: [mnist.train.count, 784], dtype: 'float32' },
  y: { data: mnist.train.labels, shape: [mnist.train.count], dtype: 'int32' },
})
  .take(TRAIN_SIZE)
  .shuffle(nx.random.key(1))
  .batch(128)
  .map(toBatch);

const test = Data.fromArrays({
  x: { data: mnist.test.images, shape: [mnist.test.count, 784], dtype: 'float32' },
  y: { data: mnist.test.labels, shape: [mnist.test.count], dtype: 'int32' },
})
  .batch(1000)
  .map(toBatch);

console.log(train.length, 'training batches per epoch'); // 79
// ---- 01-getting-started.md:202
const model = Layer.sequential([
  Layer.linear({ inFeatures: 784, outFeatures: 128 }),
  Layer.relu(),
  Layer.linear({ inFeatures: 128, outFeatures: 10 }),
]);
const trainer = Train.make({
  model,
  optimizer: Optim.adam({ lr: 1e-3 }),
  loss: Loss.softmaxCrossEntropy,
  metrics: { accuracy: Metric.accuracy },
});

let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
console.log(Ptree.countParameters(Train.vars(state).params), 'parameters'); // 101770 parameters

const result = await Train.fit(trainer, state, train, { epochs: 2, validation: test });
state = result.state;
console.log(result.history);
// { loss: [...], accuracy: [...], val_loss: [...], val_accuracy: [...] }: one value per epoch
// ---- 01-getting-started.md:239
const before = Train.evaluate(trainer, state, test);
console.log(before); // { loss: 0.29..., accuracy: 0.91... }
if (before.accuracy! < 0.85) throw new Error(`expected a trained model, got accuracy ${before.accuracy}`);
// ---- 01-getting-started.md:248
const eight = nx.fromArray(Float32Array.from(mnist.test.images.subarray(0, 8 * 784), (v) => v / 255), { shape: [8, 784] });
const predicted = nx.scope(() => nx.argmax(Train.predict(trainer, state, eight), { axis: -1 }));
console.log('predicted', nx.toArray(predicted));             // [7, 2, 1, 0, 4, 1, 4, 9]
console.log('labels   ', Array.from(mnist.test.labels.subarray(0, 8))); // [7, 2, 1, 0, 4, 1, 4, 9]
nx.dispose([eight, predicted]);
// ---- 01-getting-started.md:261
await Checkpoint.save('mnist-mlp/model.safetensors', Train.vars(state).params, {
  metadata: { dataset: 'mnist', epochs: '2' },
});
const saved = await Checkpoint.info('mnist-mlp/model.safetensors');
console.log(Object.keys(saved.tensors)); // ['0.weight', '0.bias', '2.weight', '2.bias']
// ---- 01-getting-started.md:275
const fresh = model.init({ key: nx.random.key(42) });
const loadedParams = await Checkpoint.load('mnist-mlp/model.safetensors', { like: fresh.params });
Ptree.dispose(fresh.params); // the template is only inspected; free it
const reloaded = Layer.withParams(fresh, loadedParams);

const after = Train.evaluate(trainer, Train.makeState(trainer, reloaded), test);
console.log(after.accuracy === before.accuracy); // true: the round trip is exact
if (after.accuracy !== before.accuracy) throw new Error('the reloaded model should score exactly the same');
// ---- 01-getting-started.md:289
const smaller = Layer.sequential([
  Layer.linear({ inFeatures: 784, outFeatures: 64 }), Layer.relu(), Layer.linear({ inFeatures: 64, outFeatures: 10 }),
]).init({ key: nx.random.key(0) });
try {
  await Checkpoint.load('mnist-mlp/model.safetensors', { like: smaller.params });
} catch (e) {
  console.log((e as Error).message);
  // Checkpoint.load: key "0.weight" has shape [128, 784] in mnist-mlp/model.safetensors but the template expects [64, 784]
}
Ptree.dispose(smaller.params);
