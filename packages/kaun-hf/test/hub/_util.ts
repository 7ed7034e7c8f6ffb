/** Shared pieces of the Hub tests: a temporary cache folder and fast retry settings. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** Accounts of the write tests: alice writes to "alice" and "org"; the reader token is read-only; bob has only "bob". */
export const USERS = {
  hf_alice: { name: 'alice', orgs: ['org'] },
  hf_reader: { name: 'alice', orgs: ['org'], write: false },
  hf_bob: { name: 'bob' },
};

/** sha256 (hex) of bytes or a file's content. */
export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes `files` (path -> content) under `dir`, making folders; returns `dir`. */
export function writeTree(dir: string, files: Record<string, string | Uint8Array>): string {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, ...path.split('/'));
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}

/** Deterministic pseudo-random bytes (not compressible, no pattern a server could shortcut). */
export function noise(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
