/** Shared pieces of the Hub tests: a temporary cache folder and fast retry settings. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bert-tiny fixture folder (Hugging Face layout), wherever the tests run from. */
export const BERT_TINY = fileURLToPath(new URL('../../../../fixtures/bert-tiny', import.meta.url));

/** Retries without real waiting, and fast lock polling. */
export const FAST = { retry: { baseDelayMs: 1, maxDelayMs: 5 }, lock: { pollMs: 10 } } as const;

/** A fresh temporary folder; `cleanup()` removes every folder made. */
export function tempDirs(): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'kaun-hf-test-'));
      made.push(dir);
      return dir;
    },
    cleanup: () => {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected the call to fail, but it succeeded');
    },
    (e: unknown) => e as Error,
  );
}
