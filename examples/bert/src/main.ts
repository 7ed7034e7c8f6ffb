/**
 * Fine-tunes BERT for spam detection on SpamAssassin.
 *
 *   npm start -w @raven/example-bert -- [--model ID|hf://ORG/NAME|FOLDER] [--epochs N]
 *     [--max-steps N] [--batch-size N] [--lr X] [--max-length N] [--out DIR] [--resume] [--seed N]
 *
 * Without `--model`: `bert-base-uncased` from the Hub when it can be reached, else (offline, or
 * `HF_HUB_OFFLINE=1`) the small pretrained checkpoint in `fixtures/bert-mini-mlm`.
 * `--model bert-base-random` is BERT-base with random weights (and the bert-base-uncased
 * vocabulary of `fixtures/bert-tiny`): fine-tuning at full size offline, for the native backend:
 *
 *   NX_BACKEND=tensorflow npm start -w @raven/example-bert -- --model bert-base-random --batch-size 8 --max-steps 20
 * @module
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { downloadFile } from '@raven/kaun-hf';
import { fineTune, RANDOM_BERT_BASE } from './finetune.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/bert-mini-mlm', import.meta.url));
/** bert-tiny's tokenizer files are bert-base-uncased's vocabulary and tokenizer (see its PROVENANCE.md). */
const BASE_VOCABULARY = fileURLToPath(new URL('../../../fixtures/bert-tiny', import.meta.url));
const ONLINE_DEFAULT = 'bert-base-uncased';

/** Whether the Hub answers (one metadata request, no retries); `HF_HUB_OFFLINE` means no. */
async function hubReachable(): Promise<{ online: boolean; why: string }> {
  const flag = process.env['HF_HUB_OFFLINE']?.trim().toLowerCase();
  if (flag !== undefined && ['1', 'true', 'yes', 'on'].includes(flag)) return { online: false, why: 'HF_HUB_OFFLINE is set' };
  try {
    await downloadFile({ modelId: ONLINE_DEFAULT, filename: 'config.json', retry: { maxRetries: 0 }, timeoutMs: 5000 });
    return { online: true, why: 'the Hub answered' };
  } catch (err) {
    return { online: false, why: `the Hub did not answer (${(err as Error).name}: ${(err as Error).message.split('\n')[0]!.slice(0, 120)})` };
  }
}

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    epochs: { type: 'string', default: '1' },
    'max-steps': { type: 'string' },
    'batch-size': { type: 'string', default: '16' },
    lr: { type: 'string' },
    'max-length': { type: 'string', default: '128' },
    'train-size': { type: 'string', default: '2400' },
    'test-size': { type: 'string', default: '800' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'out/bert-spam' },
    resume: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('usage: npm start -w @raven/example-bert -- [--model ID|hf://ORG/NAME|FOLDER|bert-base-random] [--epochs 1] [--max-steps N] [--batch-size 16] [--lr 5e-4 small / 5e-5 base] [--max-length 128] [--train-size 2400] [--test-size 800] [--seed 0] [--out out/bert-spam] [--resume]');
  process.exit(0);
}

const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};

let model = values.model;
let offline: boolean | undefined;
if (model === undefined) {
  const { online, why } = await hubReachable();
  model = online ? ONLINE_DEFAULT : FIXTURE;
  offline = online ? undefined : true;
  console.log(online ? `online (${why}): starting from ${ONLINE_DEFAULT}` : `offline (${why}): starting from the fixture ${FIXTURE}`);
}

const result = await fineTune({
  model,
  ...(model === RANDOM_BERT_BASE ? { tokenizer: BASE_VOCABULARY } : {}),
  hub: offline ? { offline } : {},
  out: values.out!,
  epochs: int('epochs', values.epochs),
  maxSteps: int('max-steps', values['max-steps']),
  batchSize: int('batch-size', values['batch-size']),
  maxLength: int('max-length', values['max-length']),
  trainSize: int('train-size', values['train-size']),
  testSize: int('test-size', values['test-size']),
  lr: values.lr === undefined ? undefined : Number(values.lr),
  seed: Number(values.seed),
  resume: values.resume,
});
console.log(
  `test accuracy ${(100 * result.accuracy).toFixed(1)}% (majority class ${(100 * result.majority).toFixed(1)}%), F1 ${result.f1.toFixed(3)}, ` +
    `${result.steps} steps, ${result.seconds.toFixed(0)} s; model in ${result.modelDir}; reload ${result.reloadIdentical ? 'identical' : 'DIFFERENT'}`,
);
if (!result.reloadIdentical) process.exitCode = 1;
