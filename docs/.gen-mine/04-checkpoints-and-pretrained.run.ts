import { readdir, readFile } from 'node:fs/promises';
import * as nx from '@raven/nx';
import { Checkpoint, Data, Layer, Loss, Metric, Optim, Ptree, Train } from '@raven/kaun';
export {};
// ---- 04-checkpoints-and-pretrained.md:17

const key = nx.random.key(0);
const mlp = () => Layer.sequential([
  Layer.linear({ inFeatures: 16, outFeatures: 32 }),
  Layer.relu(),
  Layer.dropout({ rate: 0.1 }),
  Layer.linear({ inFeatures: 32, outFeatures: 4 }),
]);
/** The largest absolute difference between two trees of the same structure. */
function maxDiff(a: Ptree.Tree, b: Ptree.Tree): number {
  const d = nx.scope(() => Ptree.map2(a, b, (x, y) => nx.max(nx.abs(nx.sub(x, y)))));
  const worst = Math.max(...Ptree.leaves(d).map((t) => Number(nx.item(t))));
  Ptree.dispose(d);
  return worst;
}
// ---- 04-checkpoints-and-pretrained.md:49
const model = mlp();
const vars = model.init({ key });
await Checkpoint.save('ckpt/mlp.safetensors', vars.params, { metadata: { note: 'freshly initialised' } });

const template = model.init({ key: nx.random.key(1) }); // different values, same structure
const params = await Checkpoint.load('ckpt/mlp.safetensors', { like: template.params });
console.log(maxDiff(params, vars.params)); // 0
Ptree.dispose(template.params);
// ---- 04-checkpoints-and-pretrained.md:64
const asTree = await Checkpoint.load('ckpt/mlp.safetensors');
console.log(Ptree.paths(asTree));   // ['0.weight', '0.bias', '3.weight', '3.bias']
const flat = await Checkpoint.loadFlat('ckpt/mlp.safetensors', { names: (k) => k.startsWith('3.') });
console.log(Object.keys(flat.tensors), flat.dtypes['3.weight']); // ['3.weight', '3.bias'] F32
const meta = await Checkpoint.info('ckpt/mlp.safetensors');
console.log(meta.kind, meta.totalBytes, meta.metadata['note']); // file 2704 freshly initialised
Ptree.dispose([asTree, ...Object.values(flat.tensors)]);
// ---- 04-checkpoints-and-pretrained.md:79
const bnModel = Layer.sequential([
  Layer.linear({ inFeatures: 16, outFeatures: 32 }),
  Layer.batchNorm({ numFeatures: 32 }),
  Layer.relu(),
  Layer.linear({ inFeatures: 32, outFeatures: 4 }),
]);
const inputs = nx.random.normal(nx.random.key(2), [256, 16]);
const targets = nx.random.randint(nx.random.key(3), [256], 0, 4);
const toyData = Data.fromTensors({ x: inputs, y: targets }).shuffle(nx.random.key(4)).batch(32);
const bnTrainer = Train.make({ model: bnModel, optimizer: Optim.adam({ lr: 1e-2 }), loss: Loss.softmaxCrossEntropy, metrics: { accuracy: Metric.accuracy } });
const bnFit = await Train.fit(bnTrainer, Train.makeState(bnTrainer, bnModel.init({ key })), toyData, { epochs: 2, progress: false });
const trained = Train.vars(bnFit.state);
console.log(Ptree.paths(trained.state)); // ['1.running_mean', '1.running_var', '1.num_batches_tracked']

await Checkpoint.save('ckpt/bn', { params: trained.params, state: trained.state });

const freshBn = bnModel.init({ key: nx.random.key(9) });
const restored = await Checkpoint.load('ckpt/bn', { like: { params: freshBn.params, state: freshBn.state } }) as { params: Ptree.Tree; state: Ptree.Tree };
const restoredVars: Layer.Vars = { ...restored, dtype: 'float32' };
const scoreBefore = Train.evaluate(bnTrainer, bnFit.state, toyData);
const scoreAfter = Train.evaluate(bnTrainer, { ...bnFit.state, vars: restoredVars }, toyData);
console.log(scoreBefore.loss === scoreAfter.loss); // true: the running statistics came back too
// ---- 04-checkpoints-and-pretrained.md:116
const trainer = Train.make({ model, optimizer: Optim.adamw({ lr: 1e-2 }), loss: Loss.softmaxCrossEntropy });
const start = () => Train.makeState(trainer, model.init({ key }), { key: nx.random.key(5) });

// 3 epochs straight
const straight = await Train.fit(trainer, start(), toyData, { epochs: 3, progress: false });

// 2 epochs, save everything, load into a fresh state, 1 more epoch
const firstPart = await Train.fit(trainer, start(), toyData, { epochs: 2, progress: false });
await Checkpoint.saveTraining('ckpt/run', firstPart.state, { extras: { epoch: 2 } });

const { state: resumed, extras } = await Checkpoint.loadTraining('ckpt/run', { like: start() });
console.log(resumed.step, extras); // 16 { epoch: 2 }
const secondPart = await Train.fit(trainer, resumed, toyData, { epochs: 1, initialEpoch: extras['epoch'] as number, progress: false });

console.log(maxDiff(Train.vars(secondPart.state).params, Train.vars(straight.state).params)); // 0
if (maxDiff(Train.vars(secondPart.state).params, Train.vars(straight.state).params) !== 0) {
  throw new Error('resumed training should match straight training exactly');
}
// ---- 04-checkpoints-and-pretrained.md:149
const wide = Layer.sequential([
  Layer.linear({ inFeatures: 64, outFeatures: 64 }),
  Layer.relu(),
  Layer.linear({ inFeatures: 64, outFeatures: 64 }),
  Layer.relu(),
  Layer.linear({ inFeatures: 64, outFeatures: 10 }),
]);
const wideVars = wide.init({ key });
await Checkpoint.save('ckpt/sharded/model.safetensors', wideVars.params, { maxShardSize: '20KB' });

console.log((await readdir('ckpt/sharded')).sort());
// ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors',
//  'model-00003-of-00003.safetensors', 'model.safetensors.index.json']
const index = JSON.parse(await readFile('ckpt/sharded/model.safetensors.index.json', 'utf8'));
console.log(index.weight_map['2.weight']); // model-00002-of-00003.safetensors

const wideBack = await Checkpoint.load('ckpt/sharded', { like: wideVars.params });
console.log(maxDiff(wideBack, wideVars.params)); // 0
// ---- 04-checkpoints-and-pretrained.md:178
await Checkpoint.save('ckpt/half/model.safetensors', wideVars.params, { dtype: 'BF16' });
const half = await Checkpoint.info('ckpt/half');
console.log(half.tensors['0.weight']!.dtype, half.totalBytes); // BF16 21332 (F32: 42664)
const fromHalf = await Checkpoint.load('ckpt/half', { like: wideVars.params });
console.log(maxDiff(fromHalf, wideVars.params) < 1e-3); // true: close, not equal
// ---- 04-checkpoints-and-pretrained.md:208
import {
  Bert, clearCache, downloadFile, listCache, loadConfig, loadWeights,
  OfflineError, RepositoryNotFoundError, RevisionNotFoundError,
} from '@raven/kaun-hf';

const configPath = await downloadFile({ modelId: 'raven-fixtures/bert-tiny', filename: 'config.json' });
console.log(configPath); // <cache root>/models--raven-fixtures--bert-tiny/snapshots/<commit>/config.json
const config = await loadConfig('raven-fixtures/bert-tiny');
console.log(config['hidden_size'], config['num_labels']); // 32 2

const weights = await loadWeights('raven-fixtures/bert-tiny');
console.log(weights.length, weights[0]![0]); // 39 bert.embeddings.word_embeddings.weight (for example)
nx.dispose(weights.map(([, t]) => t));
// ---- 04-checkpoints-and-pretrained.md:229
const dev = await loadConfig('raven-fixtures/bert-tiny', { revision: 'dev' }); // a branch
console.log(dev['num_labels']);                                                 // 3
const tagged = await loadConfig('raven-fixtures/bert-tiny', { revision: 'v1.0' }); // a tag
console.log(tagged['num_labels']);                                              // 2

const commit = configPath.split('/').at(-2)!; // the snapshot folder is the commit
const pinned = await downloadFile({ modelId: 'raven-fixtures/bert-tiny', filename: 'config.json', revision: commit });
console.log(pinned === configPath); // true

try {
  await loadConfig('raven-fixtures/bert-tiny', { revision: 'no-such-branch' });
} catch (e) {
  console.log(e instanceof RevisionNotFoundError); // true
}
// ---- 04-checkpoints-and-pretrained.md:254
// HF_TOKEN is set in this environment, so the private repository opens
const privateConfig = await loadConfig('raven-fixtures/private-bert-tiny');
console.log(privateConfig['model_type']); // bert

try {
  await loadConfig('raven-fixtures/private-bert-tiny', { token: false, cacheDir: 'no-token-cache' });
} catch (e) {
  console.log(e instanceof RepositoryNotFoundError, (e as Error).message.slice(0, 60));
}
// ---- 04-checkpoints-and-pretrained.md:272
const local = await downloadFile({ modelId: 'raven-fixtures/bert-tiny', filename: 'vocab.txt', cacheDir: 'my-cache' });
console.log(local.startsWith(process.cwd() + '/my-cache/models--raven-fixtures--bert-tiny/')); // true

const again = await downloadFile({ modelId: 'raven-fixtures/bert-tiny', filename: 'vocab.txt', cacheDir: 'my-cache', offline: true });
console.log(again === local); // true: from the cache, without the network

try {
  await downloadFile({ modelId: 'raven-fixtures/bert-tiny', filename: 'tokenizer.json', cacheDir: 'my-cache', offline: true });
} catch (e) {
  console.log(e instanceof OfflineError); // true: never downloaded into my-cache
}
// ---- 04-checkpoints-and-pretrained.md:302
for (const repo of await listCache({ cacheDir: 'my-cache' })) {
  console.log(repo.repoId, Object.keys(repo.refs), repo.snapshots[0]!.files.map((f) => f.path), repo.sizeOnDisk);
  // raven-fixtures/bert-tiny ['main'] ['vocab.txt'] 231508
}
const cleared = await clearCache({ cacheDir: 'my-cache', modelId: 'raven-fixtures/bert-tiny' });
console.log(cleared.removed, cleared.freedBytes); // ['raven-fixtures/bert-tiny'] 231508
console.log((await listCache({ cacheDir: 'my-cache' })).length); // 0
// ---- 04-checkpoints-and-pretrained.md:332
const bert = await Bert.fromPretrained('raven-fixtures/bert-tiny'); // BertForSequenceClassification
console.log(bert.config.num_hidden_layers, bert.config.hidden_size, bert.config.num_labels); // 2 32 2
console.log(Ptree.paths(bert.vars.params).slice(0, 3));
// ['bert.embeddings.word_embeddings.weight', 'bert.embeddings.position_embeddings.weight', 'bert.embeddings.token_type_embeddings.weight']

const tokenizer = bert.tokenizer!;
console.log(tokenizer.tokenize('Unaffable tokenizers!')); // ['una', '##ffa', '##ble', 'token', '##izer', '##s', '!']
// ---- 04-checkpoints-and-pretrained.md:347
const texts = ['win a free cruise now', 'see you at lunch tomorrow', 'claim your prize today!!!'];
const batch = tokenizer.encodeBatch(texts, { maxLength: 32 });
console.log(batch.inputIds.shape, nx.toArray(batch.attentionMask)); // [3, 8] and 1/0 rows

const { y } = bert.model.apply(bert.vars, batch);
const probs = nx.softmax(y.logits);
console.log(nx.toArray(probs)); // 3 rows of 2 probabilities (random weights: no meaning yet)
nx.dispose([y.logits, y.lastHiddenState, y.poolerOutput, probs]);
// ---- 04-checkpoints-and-pretrained.md:364
const classifier: Layer.Layer<Bert.SequenceClassificationInputs, nx.Tensor> = {
  init: (o) => bert.model.init(o),
  apply: (v, x, o) => ({ y: nx.scope(() => bert.model.apply(v, x, o).y.logits), state: v.state }),
};

const sentences = ['win money now', 'free prize inside', 'cheap pills online', 'lunch at noon?', 'the meeting moved', 'see you tomorrow'];
const spam = [1, 1, 1, 0, 0, 0];
const ftBatches = [{ x: tokenizer.encodeBatch(sentences), y: nx.fromArray(spam, { dtype: 'int32' }) }];

const ftTrainer = Train.make({
  model: classifier,
  optimizer: Optim.adamw({ lr: 1e-3, weightDecay: 0.01 }),
  loss: Loss.softmaxCrossEntropy,
  metrics: { accuracy: Metric.accuracy },
});
const ftStart = Train.makeState(ftTrainer, bert.vars);
const before = Train.evaluate(ftTrainer, ftStart, ftBatches);
const tuned = await Train.fit(ftTrainer, ftStart, ftBatches, { epochs: 10, progress: false });
const after = Train.evaluate(ftTrainer, tuned.state, ftBatches);
console.log(before.loss.toFixed(3), '->', after.loss.toFixed(3)); // the loss falls
if (!(after.loss < before.loss)) throw new Error('fine-tuning should lower the training loss');
// ---- 04-checkpoints-and-pretrained.md:397
const saved = await Bert.savePretrained('spam-bert', { model: bert.model, vars: Train.vars(tuned.state), tokenizer });
console.log(saved.files); // ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json']

const reloaded = await Bert.fromPretrained('./spam-bert');
console.log(maxDiff(reloaded.vars.params, Train.vars(tuned.state).params)); // 0
// ---- 04-checkpoints-and-pretrained.md:412
const mlm = await Bert.fromPretrained('raven-fixtures/bert-mini-mlm', { numLabels: 2, logger: false });
console.log(mlm.report.newlyInitialized); // ['classifier.weight', 'classifier.bias']
console.log(mlm.report.unused.slice(0, 2)); // ['cls.predictions.bias', 'cls.predictions.transform.dense.weight']
console.log(mlm.config.hidden_size, (Ptree.get(mlm.vars.params, 'bert.pooler.dense.weight') as nx.Tensor).dtype); // 128 float32
