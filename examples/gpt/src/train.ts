/**
 * Trains a small GPT-2 from scratch on Moby-Dick within a time budget: a byte-level BPE tokenizer
 * learned from the text, GPT2LMHeadModel from `@raven/kaun-hf`, `CausalLM.textDataset` blocks,
 * AdamW with warmup and a cosine decay sized to the budget, `Train.fit`; then the model is saved
 * in Hugging Face layout, reloaded, checked and sampled with streaming.
 * @module
 */
import { rmSync } from 'node:fs';
import * as nx from '@raven/nx';
import { Optim, Ptree, Train } from '@raven/kaun';
import { CausalLM, Gpt2, Tokenizer, savePretrained } from '@raven/kaun-hf';
import { trainBpe } from './bpe.js';
import { splitChapters } from './data.js';

/** The model's size (GPT-2's config names). */
export interface GptSize {
  /** Hidden size. */
  nEmbd: number;
  /** Blocks. */
  nLayer: number;
  /** Attention heads. */
  nHead: number;
  /** Context length (tokens per training row, and the model's `n_positions`). */
  context: number;
  /** Tokenizer vocabulary. */
  vocabSize: number;
}

/** The default: about 2.2 million parameters. */
export const DEFAULT_SIZE: GptSize = { nEmbd: 192, nLayer: 4, nHead: 6, context: 128, vocabSize: 2048 };

/** Options of {@link trainGpt}. */
export interface TrainGptOptions {
  /** Folder of the saved model (Hugging Face layout). */
  out: string;
  /** Training time budget in minutes (the learning-rate schedule is sized to it). Default 5. */
  minutes?: number;
  /** Stop after this many steps (tests, quick runs). Default: the budget decides. */
  maxSteps?: number;
  /** The model's size. Default {@link DEFAULT_SIZE}. */
  size?: Partial<GptSize>;
  /** Rows per batch. Default 16. */
  batchSize?: number;
  /** Peak learning rate. Default 2e-3. */
  lr?: number;
  /** Seed of initialisation, shuffling and sampling. Default 0. */
  seed?: number;
  /** Use only the first `n` training chapters (tests). Default: all. */
  chapters?: number;
  /** Prompt of the sample generated after training. Default `'Call me Ishmael.'`. */
  prompt?: string;
  /** New tokens of the sample. Default 80. */
  sampleTokens?: number;
  /** Where progress lines go. Default `console.log`. */
  log?: (line: string) => void;
  /** Where the streamed sample goes. Default `process.stdout.write`. */
  write?: (text: string) => void;
}

/** What {@link trainGpt} did. */
export interface TrainGptResult {
  /** The saved model's folder. */
  modelDir: string;
  /** Parameters of the model. */
  parameters: number;
  /** Optimizer steps done. */
  steps: number;
  /** Training tokens seen. */
  tokens: number;
  /** Seconds spent training (without tokenizer training, evaluation and saving). */
  seconds: number;
  /** Mean training loss over the last 20 steps, and the validation loss at the end. */
  trainLoss: number;
  validationLoss: number;
  /** The sample generated from the reloaded model. */
  sample: string;
  /** Whether the reloaded model gives exactly the trained model's logits. */
  reloadIdentical: boolean;
}

/** Mean loss of a dataset (one pass). */
function evaluateLoss(trainer: Train.Trainer<CausalLM.CausalLMInputs, CausalLM.CausalLMOutput, nx.Tensor>, state: Train.TrainState, data: Iterable<CausalLM.TextBatch>): number {
  return Train.evaluate(trainer, state, data)['loss']!;
}

/**
 * Trains, saves, reloads and samples a small GPT on Moby-Dick (see the module comment).
 * @returns what was trained and how it went.
 */
export async function trainGpt(options: TrainGptOptions): Promise<TrainGptResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const size = { ...DEFAULT_SIZE, ...options.size };
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 16;
  const budget = (options.minutes ?? 5) * 60;
  const { train, validation } = splitChapters();
  const texts = options.chapters === undefined ? train : train.slice(0, options.chapters);

  let t = performance.now();
  const bpe = trainBpe(texts.join('\n\n'), { vocabSize: size.vocabSize });
  const tokenizer = Tokenizer.fromJSON(bpe.json, bpe.config);
  log(`tokenizer: byte-level BPE of ${tokenizer.vocabSize} tokens learned from ${texts.length} chapters in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const eot = tokenizer.eosTokenId!;
  const config = Gpt2.parseConfig({
    n_embd: size.nEmbd, n_layer: size.nLayer, n_head: size.nHead, n_positions: size.context, vocab_size: tokenizer.vocabSize,
    bos_token_id: eot, eos_token_id: eot, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1,
  });
  const model = Gpt2.gpt2LMHeadModel(config);
  const vars = model.init({ key: nx.random.key(seed) });
  const parameters = Ptree.countParameters(vars.params);
  const rows = CausalLM.textDataset(tokenizer, texts, { blockSize: size.context });
  const data = rows.shuffle(nx.random.key(seed + 1)).batch(batchSize, { dropLast: true }).map(CausalLM.toTrainBatch);
  const heldOut = CausalLM.textDataset(tokenizer, validation, { blockSize: size.context }).take(64).batch(batchSize).map(CausalLM.toTrainBatch);
  log(`model: GPT-2 with ${(parameters / 1e6).toFixed(2)} M parameters (n_embd ${size.nEmbd}, ${size.nLayer} layers, ${size.nHead} heads, context ${size.context}); ` +
    `${rows.length} rows of ${size.context} tokens, batches of ${batchSize}; backend ${nx.backendInfo().backend}`);

  // warmup, then a cosine decay over the steps the budget allows (measured after the warmup)
  const peak = options.lr ?? 2e-3;
  const warmup = 20;
  let planned = options.maxSteps ?? 1_000_000;
  const schedule: Optim.Schedule.Schedule = (step) => {
    if (step < warmup) return (peak * (step + 1)) / warmup;
    const p = Math.min(1, (step - warmup) / Math.max(1, planned - warmup));
    return peak * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
  };
  const trainer = Train.make({ model, optimizer: Optim.chain(Optim.clipByGlobalNorm(1), Optim.adamw({ lr: schedule, weightDecay: 0.1 })), loss: CausalLM.loss });
  let state = Train.makeState(trainer, vars, { key: nx.random.key(seed + 2) });
  const recent: number[] = [];
  let steps = 0;
  t = performance.now();
  const elapsed = (): number => (performance.now() - t) / 1000;
  const result = await Train.fit(trainer, state, data, {
    epochs: 1000,
    progress: false,
    callbacks: {
      onBatchEnd: ({ loss, stop }) => {
        steps++;
        recent.push(nx.item(loss) as number);
        if (recent.length > 20) recent.shift();
        if (steps === warmup && options.maxSteps === undefined) planned = Math.max(warmup + 1, Math.floor((budget / elapsed()) * steps));
        if (steps % 10 === 0 || steps === 1) {
          const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
          log(`step ${steps}${planned < 1_000_000 ? `/${planned}` : ''}  loss ${mean.toFixed(3)}  lr ${schedule(steps - 1).toExponential(2)}  ` +
            `${Math.round((steps * batchSize * size.context) / elapsed())} tokens/s  ${elapsed().toFixed(0)} s`);
        }
        if (steps >= planned || elapsed() >= budget) stop();
      },
    },
  });
  state = result.state;
  const seconds = elapsed();
  const trainLoss = recent.reduce((a, b) => a + b, 0) / recent.length;
  const validationLoss = evaluateLoss(trainer, state, heldOut);
  log(`trained ${steps} steps (${steps * batchSize * size.context} tokens) in ${seconds.toFixed(0)} s: train loss ${trainLoss.toFixed(3)}, validation loss ${validationLoss.toFixed(3)}`);

  // save in Hugging Face layout, reload through the Hub client's folder path, compare
  rmSync(options.out, { recursive: true, force: true });
  const saved = await savePretrained(options.out, { model, vars: state.vars, tokenizer });
  log(`saved ${saved.files.join(', ')} to ${options.out}`);
  const back = await CausalLM.fromPretrained(options.out, { logger: false });
  const probe = nx.fromArray([tokenizer.encode('Call me Ishmael.').ids], { dtype: 'int32' });
  const a = model.apply(state.vars, { inputIds: probe }).y.logits;
  const b = back.model.apply(back.vars, { inputIds: probe }).y.logits;
  const reloadIdentical = nx.scope(() => nx.item(nx.max(nx.abs(nx.sub(a, b))))) === 0;
  nx.dispose([a, b, probe, state.vars.params, state.optState]);
  log(`reloaded with CausalLM.fromPretrained: ${reloadIdentical ? 'identical logits' : 'DIFFERENT logits'}; sample:`);

  const prompt = options.prompt ?? 'Call me Ishmael.';
  const write = options.write ?? ((s: string) => void process.stdout.write(s));
  write(prompt);
  const out = await CausalLM.generate(back.model, back.vars, prompt, {
    tokenizer: back.tokenizer!, maxNewTokens: Math.min(options.sampleTokens ?? 80, size.context - tokenizer.encode(prompt).ids.length),
    doSample: true, temperature: 0.8, topK: 40, key: nx.random.key(seed + 3), streamer: CausalLM.textStreamer(back.tokenizer!, { write }),
  });
  write('\n');
  nx.dispose(back.vars.params);
  return { modelDir: options.out, parameters, steps, tokens: steps * batchSize * size.context, seconds, trainLoss, validationLoss, sample: prompt + out.texts![0]!, reloadIdentical };
}
