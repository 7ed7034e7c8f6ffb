// Test helpers: the real bert-base-uncased vocabulary read straight from vocab.txt (id = line
// number), and checks that a hand-written WordPiece split follows the greedy longest-match rule.
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The fixture folder: real bert-base-uncased tokenizer.json, vocab.txt and tokenizer_config.json. */
export const FIXTURE = fileURLToPath(new URL('../../../../fixtures/bert-tiny/', import.meta.url));

/** vocab.txt lines; the id of a token is its line number from 0. */
export const VOCAB_LINES: string[] = fs.readFileSync(`${FIXTURE}vocab.txt`, 'utf8').split('\n').slice(0, -1);
const ID = new Map(VOCAB_LINES.map((t, i) => [t, i]));

/** Ids of hand-written tokens, looked up in vocab.txt; fails the test for a token not there. */
export function idsOf(tokens: readonly string[]): number[] {
  return tokens.map((t) => {
    const id = ID.get(t);
    if (id === undefined) throw new Error(`test token ${JSON.stringify(t)} is not a line of vocab.txt`);
    return id;
  });
}

const chars = (s: string): string[] => Array.from(s);
const candidate = (cs: string[], start: number, end: number): string => (start > 0 ? '##' : '') + cs.slice(start, end).join('');

/** Checks `pieces` as the greedy split of the start of `word`; returns where they end. */
function checkPieces(word: string, pieces: readonly string[]): number {
  const cs = chars(word);
  let start = 0;
  for (const piece of pieces) {
    const body = start > 0 ? piece.replace(/^##/, '') : piece;
    if (start > 0) expect(piece.startsWith('##'), `${word}: continuation ${piece} needs ##`).toBe(true);
    const end = start + chars(body).length;
    expect(cs.slice(start, end).join(''), `${word}: ${piece} should cover the next characters`).toBe(body);
    expect(ID.has(piece), `${word}: ${piece} should be in vocab.txt`).toBe(true);
    for (let longer = end + 1; longer <= cs.length; longer++) {
      expect(ID.has(candidate(cs, start, longer)), `${word}: longer candidate ${candidate(cs, start, longer)} must not be in vocab.txt`).toBe(false);
    }
    start = end;
  }
  return start;
}

/**
 * Checks a hand-written split of a normalised word: the pieces rebuild the word, each is in
 * vocab.txt, and no longer candidate at its position is (greedy longest match first).
 */
export function expectGreedySplit(word: string, pieces: readonly string[]): void {
  expect(chars(word).length, `${word}: at most 100 characters`).toBeLessThanOrEqual(100);
  expect(checkPieces(word, pieces), `${word}: pieces should cover the whole word`).toBe(chars(word).length);
}

/**
 * Checks that a word becomes [UNK]: longer than 100 characters, or the greedy split `before`
 * (valid pieces) reaches a position where no candidate of any length is in vocab.txt.
 */
export function expectUnknown(word: string, before: readonly string[] = []): void {
  const cs = chars(word);
  if (cs.length > 100) return;
  const start = checkPieces(word, before);
  for (let end = start + 1; end <= cs.length; end++) {
    expect(ID.has(candidate(cs, start, end)), `${word}: ${candidate(cs, start, end)} must not be in vocab.txt`).toBe(false);
  }
}
