/**
 * Trains a small GPT from scratch on Moby-Dick for a few minutes, saves it in Hugging Face layout,
 * reloads it and generates with streaming; or, with `--from`, generates from any supported
 * checkpoint (a folder, a Hub id or `hf://org/name`: GPT-2, Llama, Mistral, Qwen2, Gemma).
 *
 *   npm start -w @raven/example-gpt -- [--minutes 5] [--max-steps N] [--out out/gpt-moby]
 *     [--size small|tiny] [--batch-size 16] [--lr 2e-3] [--seed 0] [--prompt "Call me Ishmael."]
 *   npm start -w @raven/example-gpt -- --from FOLDER|ID [--prompt TEXT] [--max-new-tokens 60]
 *     [--temperature 0.8] [--top-k 40] [--chat]
 * @module
 */
import { parseArgs } from 'node:util';
import { generateFrom } from './generate.js';
import { DEFAULT_SIZE, trainGpt } from './train.js';

const USAGE = `usage:
  npm start -w @raven/example-gpt -- [--minutes 5] [--max-steps N] [--out out/gpt-moby] [--size small|tiny]
      [--batch-size 16] [--lr 2e-3] [--seed 0] [--prompt "Call me Ishmael."]
  npm start -w @raven/example-gpt -- --from FOLDER|HUB_ID|hf://ORG/NAME [--prompt TEXT] [--max-new-tokens 60]
      [--temperature 0.8 (0: greedy)] [--top-k 40] [--seed 0] [--chat]`;

const { values } = parseArgs({
  options: {
    from: { type: 'string' },
    prompt: { type: 'string' },
    'max-new-tokens': { type: 'string', default: '60' },
    temperature: { type: 'string', default: '0.8' },
    'top-k': { type: 'string', default: '40' },
    chat: { type: 'boolean', default: false },
    minutes: { type: 'string', default: '5' },
    'max-steps': { type: 'string' },
    out: { type: 'string', default: 'out/gpt-moby' },
    size: { type: 'string', default: 'small' },
    'batch-size': { type: 'string', default: '16' },
    lr: { type: 'string', default: '2e-3' },
    seed: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function number(name: string, v: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!check(n)) {
    console.error(`--${name} must be ${what}, got ${v}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
const positiveInt = (name: string, v: string | undefined) => number(name, v, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
const positive = (name: string, v: string | undefined) => number(name, v, (n) => n > 0 && Number.isFinite(n), 'a positive number');

const seed = number('seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer')!;
if (values.from !== undefined) {
  const r = await generateFrom(values.from, {
    prompt: values.prompt ?? 'The whale',
    maxNewTokens: positiveInt('max-new-tokens', values['max-new-tokens']),
    temperature: number('temperature', values.temperature, (n) => n >= 0 && Number.isFinite(n), 'a number >= 0'),
    topK: number('top-k', values['top-k'], (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'),
    chat: values.chat,
    seed,
  });
  console.log(`(${r.modelType}, ${r.tokensPerSecond.toFixed(1)} tokens/s)`);
} else {
  if (values.size !== 'small' && values.size !== 'tiny') {
    console.error(`--size must be small or tiny, got ${values.size}\n${USAGE}`);
    process.exit(2);
  }
  const size = values.size === 'tiny' ? { nEmbd: 64, nLayer: 2, nHead: 4, context: 64, vocabSize: 512 } : DEFAULT_SIZE;
  const r = await trainGpt({
    out: values.out!,
    minutes: positive('minutes', values.minutes),
    maxSteps: positiveInt('max-steps', values['max-steps']),
    size,
    batchSize: positiveInt('batch-size', values['batch-size']),
    lr: positive('lr', values.lr),
    seed,
    ...(values.prompt === undefined ? {} : { prompt: values.prompt }),
  });
  console.log(`done: ${r.steps} steps, ${(r.tokens / r.seconds).toFixed(0)} tokens/s, validation loss ${r.validationLoss.toFixed(3)}; model in ${r.modelDir} ` +
    `(generate again: npm start -w @raven/example-gpt -- --from ${r.modelDir})`);
  if (!r.reloadIdentical) process.exitCode = 1;
}
