/**
 * Generation from any supported checkpoint (a folder in Hugging Face layout, a Hub id or
 * `hf://org/name`), streamed to the terminal as it comes.
 * @module
 */
import * as nx from '@raven/nx';
import { CausalLM } from '@raven/kaun-hf';

/** Options of {@link generateFrom}. */
export interface GenerateFromOptions {
  /** The prompt. */
  prompt: string;
  /** New tokens. Default 60. */
  maxNewTokens?: number;
  /** Sampling temperature; 0 means greedy. Default 0.8. */
  temperature?: number;
  /** Top-k when sampling. Default 40. */
  topK?: number;
  /** Seed of the sampling. Default 0. */
  seed?: number;
  /** Treat the prompt as a user message and apply the model's chat template. Default false. */
  chat?: boolean;
  /** Where the text goes. Default `process.stdout.write`. */
  write?: (text: string) => void;
}

/**
 * Loads a causal LM with `CausalLM.fromPretrained` and streams a continuation of the prompt.
 * @returns the generated text (without the prompt) and tokens per second of the decoding.
 */
export async function generateFrom(source: string, options: GenerateFromOptions): Promise<{ text: string; tokensPerSecond: number; modelType: string }> {
  const write = options.write ?? ((s: string) => void process.stdout.write(s));
  const { model, vars, tokenizer } = await CausalLM.fromPretrained(source, { logger: false });
  if (tokenizer === undefined) throw new Error(`${source} has no tokenizer.json; generation needs one`);
  const prompt = options.chat ? tokenizer.applyChatTemplate([{ role: 'user', content: options.prompt }], { addGenerationPrompt: true }) : options.prompt;
  const temperature = options.temperature ?? 0.8;
  write(options.chat ? `${options.prompt}\n> ` : prompt);
  const t = performance.now();
  const out = await CausalLM.generate(model, vars, prompt, {
    tokenizer,
    maxNewTokens: options.maxNewTokens ?? 60,
    addSpecialTokens: !options.chat,
    ...(temperature > 0 ? { doSample: true, temperature, topK: options.topK ?? 40, key: nx.random.key(options.seed ?? 0) } : { doSample: false }),
    streamer: CausalLM.textStreamer(tokenizer, { write }),
  });
  write('\n');
  const seconds = (performance.now() - t) / 1000;
  nx.dispose(vars.params);
  return { text: out.texts![0]!, tokensPerSecond: out.newTokens[0]!.length / seconds, modelType: model.modelType };
}
