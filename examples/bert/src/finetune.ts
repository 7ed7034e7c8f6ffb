/**
 * The core of the example: fine-tune BertForSequenceClassification on SpamAssassin with AdamW
 * (warmup + linear decay), evaluate each epoch, checkpoint the whole training state each epoch
 * (so a run resumes), and save the result in Hugging Face layout, checking that it reloads to
 * identical predictions.
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as nx from '@raven/nx';
import { Checkpoint, Data, type Layer, Metric, Optim, Train } from '@raven/kaun';
import { Bert, type HubOptions, Tokenizer } from '@raven/kaun-hf';
import { type Email, loadSpamAssassin } from './data.js';

/**
 * The model name that means BERT-base with random weights: transformers' `BertConfig` defaults
 * (the shape of bert-base-uncased: hidden 768, 12 layers, 12 heads, 110M parameters) and the
 * tokenizer of {@link FineTuneOptions.tokenizer}. No pretrained BERT-base is reachable offline;
 * this times and exercises fine-tuning at that size (on the `tensorflow` backend: it does not fit
 * the wasm heap with AdamW).
 */
export const RANDOM_BERT_BASE = 'bert-base-random';

/** Options of {@link fineTune}. */
export interface FineTuneOptions {
  /** Hub model id, `hf://org/name` or folder of the starting checkpoint, or {@link RANDOM_BERT_BASE}. */
  model: string;
  /** With {@link RANDOM_BERT_BASE}: the folder of the tokenizer (`tokenizer.json` or `vocab.txt`). */
  tokenizer?: string;
  /** Hub options (offline, cacheDir, revision, token...). */
  hub?: HubOptions;
  /** Output folder: `checkpoint/` (training state) and `model/` (Hugging Face layout). */
  out: string;
  /** Epochs. Default 1. */
  epochs?: number;
  /** Stop after this many updates in all (the schedule decays to 0 there). Default: none. */
  maxSteps?: number;
  /** Sequences per batch. Default 16. */
  batchSize?: number;
  /** Tokens per sequence, capped by the model's `max_position_embeddings`. Default 128. */
  maxLength?: number;
  /** Peak learning rate. Default 5e-5 for models of hidden size 512 or more (BERT-base), 5e-4 for smaller ones. */
  lr?: number;
  /** Fraction of the updates spent warming up. Default 0.1. */
  warmupRatio?: number;
  /** AdamW decoupled weight decay (not on biases and LayerNorm weights). Default 0.01. */
  weightDecay?: number;
  /** Training emails. Default 2400. */
  trainSize?: number;
  /** Test emails. Default 800. */
  testSize?: number;
  /** Seed of the split, the batch order, the fresh classifier and dropout. Default 0. */
  seed?: number;
  /** Continue from `out/checkpoint` when it exists. Default false. */
  resume?: boolean;
  /** Progress output of `Train.fit`. Default `'auto'` (a bar on a terminal). */
  progress?: 'auto' | 'bar' | 'lines' | false;
  /** Where messages go. Default `console.log`. */
  log?: (line: string) => void;
}

/** What {@link fineTune} returns. */
export interface FineTuneResult {
  /** Test accuracy and F1 (spam = positive) after each epoch run. */
  history: Array<{ epoch: number; step: number; trainLoss: number; accuracy: number; f1: number; seconds: number }>;
  /** Final test accuracy. */
  accuracy: number;
  /** Final test F1 (spam). */
  f1: number;
  /** Share of the test set in the majority class (ham). */
  majority: number;
  /** Updates done in all (resumed ones included). */
  steps: number;
  /** Seconds of this run (data, training, evaluation, saving). */
  seconds: number;
  /** The Hugging Face folder written. */
  modelDir: string;
  /** Whether the reloaded model gave exactly the same test predictions (and logits). */
  reloadIdentical: boolean;
  /** Whether this run continued from a checkpoint. */
  resumed: boolean;
}

interface Encoded {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  labels: Int32Array;
  n: number;
  length: number;
}

function encode(tokenizer: Tokenizer, emails: Email[], maxLength: number): Encoded {
  const { inputIds, attentionMask } = tokenizer.encodeBatchArrays(emails.map((e) => e.text), { maxLength, truncation: true, padding: 'max_length' });
  return {
    inputIds: Int32Array.from(inputIds.flat()),
    attentionMask: Int32Array.from(attentionMask.flat()),
    labels: Int32Array.from(emails.map((e) => e.label)),
    n: emails.length,
    length: maxLength,
  };
}

type Inputs = { inputIds: nx.Tensor; attentionMask: nx.Tensor };
type Batch = { x: Inputs; y: nx.Tensor };

/** Rows `rows` of the encoded set as one batch of tensors (built on the host). */
function batchOf(d: Encoded, rows: ArrayLike<number>): Batch {
  const b = rows.length;
  const ids = new Int32Array(b * d.length);
  const mask = new Int32Array(b * d.length);
  const labels = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    const r = rows[i]!;
    ids.set(d.inputIds.subarray(r * d.length, (r + 1) * d.length), i * d.length);
    mask.set(d.attentionMask.subarray(r * d.length, (r + 1) * d.length), i * d.length);
    labels[i] = d.labels[r]!;
  }
  return {
    x: { inputIds: nx.fromArray(ids, { shape: [b, d.length], dtype: 'int32' }), attentionMask: nx.fromArray(mask, { shape: [b, d.length], dtype: 'int32' }) },
    y: nx.fromArray(labels, { dtype: 'int32' }),
  };
}

/** Shuffled training batches (a new order each epoch, from the seed); `skip` batches of epoch `skipEpoch` left out (resume). */
function trainBatches(d: Encoded, batchSize: number, seed: number, skipEpoch: number, skip: number): Data.Dataset<Batch> {
  const perEpoch = Math.floor(d.n / batchSize);
  return Data.fromGenerator(function* (epoch: number) {
    const order = nx.random.permutationArray(nx.random.foldIn(nx.random.key(seed + 1), epoch), d.n);
    for (let b = epoch === skipEpoch ? skip : 0; b < perEpoch; b++) yield batchOf(d, order.subarray(b * batchSize, (b + 1) * batchSize));
  }, { length: perEpoch });
}

/** Test batches in order. */
function testBatches(d: Encoded, batchSize: number): Data.Dataset<Batch> {
  return Data.fromGenerator(function* () {
    for (let s = 0; s < d.n; s += batchSize) yield batchOf(d, Array.from({ length: Math.min(batchSize, d.n - s) }, (_, i) => s + i));
  });
}

/** The classifier as a layer whose output is the logits (what `Train`'s loss and metrics take). */
function logitsOnly(model: Bert.SequenceClassifier): Layer.Layer<Inputs, nx.Tensor> {
  return {
    init: (o) => model.init(o),
    apply: (vars, x, o) => ({ y: nx.scope(() => model.apply(vars, x, o).y.logits), state: vars.state }),
  };
}

/** Predicted classes and logits of the test set. */
function predictAll(model: Bert.SequenceClassifier, vars: Layer.Vars, d: Encoded, batchSize: number): { preds: number[]; logits: Float32Array } {
  const out = new Float32Array(d.n * 2);
  const preds: number[] = [];
  let at = 0;
  for (const batch of testBatches(d, batchSize)) {
    const logits = nx.scope(() => model.apply(vars, batch.x).y.logits);
    const v = nx.toTypedArray(logits) as Float32Array;
    out.set(v, at);
    for (let i = 0; i < v.length; i += 2) preds.push(v[i + 1]! > v[i]! ? 1 : 0);
    at += v.length;
    nx.dispose([logits, batch]);
  }
  return { preds, logits: out };
}

/** BERT-base (transformers' defaults) with random weights, a ham/spam head, and the tokenizer in `tokenizerDir`. */
function randomBertBase(seed: number, tokenizerDir: string | undefined): { model: Bert.SequenceClassifier; config: Bert.BertConfig; vars: Layer.Vars; tokenizer: Tokenizer } {
  if (tokenizerDir === undefined) throw new Error(`fineTune: model ${RANDOM_BERT_BASE} needs the tokenizer option (a folder with tokenizer.json or vocab.txt)`);
  const config = Bert.parseConfig({ num_labels: 2, id2label: { 0: 'ham', 1: 'spam' } });
  const model = Bert.bertForSequenceClassification(config);
  return { model, config, vars: model.init({ key: nx.random.key(seed) }), tokenizer: Tokenizer.fromFolder(tokenizerDir) };
}

const noDecay = (p: string): boolean => !(p.endsWith('.bias') || p.includes('LayerNorm.'));

/**
 * Fine-tunes a BERT checkpoint for spam detection. See {@link FineTuneOptions}.
 * @returns the test scores per epoch and at the end, and the outcome of the reload check.
 */
export async function fineTune(options: FineTuneOptions): Promise<FineTuneResult> {
  const t0 = performance.now();
  const log = options.log ?? ((l: string) => console.log(l));
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 16;
  const epochs = options.epochs ?? 1;
  const ckptDir = path.join(options.out, 'checkpoint');
  const ckptFile = path.join(ckptDir, 'state.safetensors');
  const modelDir = path.join(options.out, 'model');

  const loaded = options.model === RANDOM_BERT_BASE
    ? randomBertBase(seed, options.tokenizer)
    : await Bert.fromPretrained(options.model, {
        ...options.hub, numLabels: 2, id2label: { 0: 'ham', 1: 'spam' }, key: nx.random.key(seed), logger: { warn: (m) => log(`warning: ${m}`) },
      });
  const { model, config } = loaded;
  const tokenizer = loaded.tokenizer;
  if (tokenizer === undefined) throw new Error(`fineTune: ${options.model} has no tokenizer (tokenizer.json or vocab.txt)`);
  const maxLength = Math.min(options.maxLength ?? 128, config.max_position_embeddings);
  log(`model: ${options.model} (hidden ${config.hidden_size}, ${config.num_hidden_layers} layers, ${config.num_attention_heads} heads), backend ${nx.backendInfo().backend}`);

  const tData = performance.now();
  const split = loadSpamAssassin({ trainSize: options.trainSize, testSize: options.testSize, seed });
  const train = encode(tokenizer, split.train, maxLength);
  const test = encode(tokenizer, split.test, maxLength);
  const majority = 1 - test.labels.reduce((a, b) => a + b, 0) / test.n;
  log(`data: ${train.n} train / ${test.n} test emails, ${maxLength} tokens each, ${((performance.now() - tData) / 1000).toFixed(1)} s; majority class (ham) ${(100 * majority).toFixed(1)}% of test`);

  const perEpoch = Math.floor(train.n / batchSize);
  if (perEpoch === 0) throw new Error(`fineTune: ${train.n} training emails make no batch of ${batchSize}`);
  const totalSteps = Math.max(1, Math.min(options.maxSteps ?? Number.POSITIVE_INFINITY, epochs * perEpoch));
  const peak = options.lr ?? (config.hidden_size >= 512 ? 5e-5 : 5e-4);
  const lr = Optim.Schedule.warmupLinear({ peak, warmupSteps: Math.round((options.warmupRatio ?? 0.1) * totalSteps), totalSteps });
  const trainer = Train.make({
    model: logitsOnly(model),
    optimizer: Optim.adamw({ lr, weightDecay: options.weightDecay ?? 0.01, mask: noDecay }),
    loss: (logits: nx.Tensor, labels: nx.Tensor) => Bert.sequenceClassificationLoss(config, logits, labels),
    metrics: { accuracy: Metric.confusion({ metric: 'accuracy', numClasses: 2 }), f1: Metric.confusion({ metric: 'f1', numClasses: 2, average: 'binary', posLabel: 1 }) },
  });
  let state = Train.makeState(trainer, loaded.vars, { key: nx.random.key(seed + 2) });
  log(`training: ${epochs} epoch(s) of ${perEpoch} batches of ${batchSize}, ${totalSteps} updates, AdamW lr ${peak} (warmup then linear decay), weight decay ${options.weightDecay ?? 0.01}`);

  // the run's identity: a checkpoint of another setup must not be resumed (epochs and
  // maxSteps may change: a resumed run may train longer, with the schedule of the new total)
  const setup = { model: options.model, batchSize, maxLength, trainSize: train.n, seed };
  let epoch = 0;
  let skip = 0;
  let resumed = false;
  if (options.resume && existsSync(ckptFile)) {
    const { trees, extras } = await Checkpoint.loadTrees(ckptFile, { like: { params: state.vars.params, opt: state.optState } });
    const saved = extras['setup'] as typeof setup;
    if (JSON.stringify(saved) !== JSON.stringify(setup)) {
      nx.dispose(trees);
      throw new Error(`fineTune: ${ckptFile} is from another setup (${JSON.stringify(saved)}); use another --out or the same options`);
    }
    nx.dispose([state.vars.params, state.optState]);
    state = { ...state, vars: { ...state.vars, params: trees.params }, optState: trees.opt, step: extras['step'] as number };
    epoch = extras['epoch'] as number;
    skip = extras['batch'] as number;
    if (skip >= perEpoch) {
      epoch += 1;
      skip = 0;
    }
    resumed = true;
    log(`resumed from ${ckptFile}: step ${state.step}, epoch ${epoch + 1}, batch ${skip}`);
  } else if (options.resume) {
    log(`no checkpoint at ${ckptFile}; starting fresh`);
  }

  const history: FineTuneResult['history'] = [];
  let batchInEpoch = skip;
  const save = async (e: number, b: number): Promise<void> => {
    await mkdir(ckptDir, { recursive: true });
    await Checkpoint.saveTrees(ckptFile, { params: state.vars.params, opt: state.optState }, { extras: { step: state.step, epoch: e, batch: b, setup } });
  };
  if (state.step < totalSteps && epoch < epochs) {
    const fit = await Train.fit(trainer, state, trainBatches(train, batchSize, seed, epoch, skip), {
      epochs,
      initialEpoch: epoch,
      progress: options.progress ?? 'auto',
      callbacks: {
        onEpochBegin: ({ epoch: e }) => { batchInEpoch = e === epoch ? skip : 0; },
        onBatchEnd: (info) => {
          batchInEpoch += 1;
          if (info.state.step >= totalSteps) info.stop();
        },
        onEpochEnd: async (info) => {
          state = info.state;
          const tEval = performance.now();
          const scores = Train.evaluate(trainer, state, testBatches(test, batchSize * 2));
          history.push({ epoch: info.epoch + 1, step: state.step, trainLoss: info.logs['loss']!, accuracy: scores['accuracy']!, f1: scores['f1']!, seconds: info.seconds });
          log(`epoch ${info.epoch + 1}: step ${state.step}, train loss ${info.logs['loss']!.toFixed(4)}, test loss ${scores['loss']!.toFixed(4)}, ` +
            `accuracy ${(100 * scores['accuracy']!).toFixed(1)}%, F1 ${scores['f1']!.toFixed(3)} (train ${info.seconds.toFixed(0)} s, eval ${((performance.now() - tEval) / 1000).toFixed(0)} s)`);
          await save(info.epoch, batchInEpoch);
          log(`checkpoint: ${ckptFile} (step ${state.step})`);
        },
      },
    });
    state = fit.state;
  } else {
    log(`nothing left to train (step ${state.step} of ${totalSteps})`);
  }

  // the final model in Hugging Face layout, reloaded and compared
  const finalVars = state.vars;
  await Bert.savePretrained(modelDir, { model, vars: finalVars, tokenizer });
  const mine = predictAll(model, finalVars, test, batchSize * 2);
  const back = await Bert.fromPretrained(modelDir, { logger: { warn: (m) => log(`warning: ${m}`) } });
  const theirs = predictAll(back.model, back.vars, test, batchSize * 2);
  nx.dispose(back.vars.params);
  const reloadIdentical = mine.preds.every((p, i) => p === theirs.preds[i]) && mine.logits.every((v, i) => v === theirs.logits[i]);
  const correct = mine.preds.filter((p, i) => p === test.labels[i]).length;
  const tp = mine.preds.filter((p, i) => p === 1 && test.labels[i] === 1).length;
  const fp = mine.preds.filter((p, i) => p === 1 && test.labels[i] === 0).length;
  const fn = mine.preds.filter((p, i) => p === 0 && test.labels[i] === 1).length;
  const accuracy = correct / test.n;
  const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  log(`saved ${modelDir} (Hugging Face layout); reloaded with Bert.fromPretrained: ${reloadIdentical ? 'identical predictions and logits' : 'PREDICTIONS DIFFER'} on ${test.n} test emails`);
  const result: FineTuneResult = {
    history, accuracy, f1, majority, steps: state.step, seconds: (performance.now() - t0) / 1000, modelDir, reloadIdentical, resumed,
  };
  await writeFile(path.join(options.out, 'results.json'), JSON.stringify({ ...result, setup }, null, 2) + '\n');
  nx.dispose([state.vars.params, state.optState]);
  return result;
}
