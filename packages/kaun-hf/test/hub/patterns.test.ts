/**
 * Upload and download patterns follow Python's `fnmatch.fnmatchcase` as huggingface_hub applies
 * them: hand-checked cases, and (when Python is there) agreement with Python itself on
 * generated patterns and paths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { filterPaths, matchesAny } from '../../src/hub/upload/patterns.js';
import { findPython } from '../helpers/python.js';

describe('patterns', () => {
  it('matches as fnmatchcase: * crosses /, ?, [set], [!set], a trailing / means a folder', () => {
    const cases: Array<[string, string, boolean]> = [
      ['*.json', 'config.json', true],
      ['*.json', 'sub/config.json', true], // * matches / too
      ['*.json', 'config.jsonl', false],
      ['sub/*', 'sub/a/b.txt', true],
      ['sub/', 'sub/a.txt', true],
      ['sub/', 'subway/a.txt', false],
      ['model-?????-of-?????.safetensors', 'model-00001-of-00003.safetensors', true],
      ['model-[0-9]*.bin', 'model-1.bin', true],
      ['model-[!0-9]*.bin', 'model-1.bin', false],
      ['model-[!0-9]*.bin', 'model-x.bin', true],
      ['*.JSON', 'a.json', false], // case-sensitive
      ['a.b', 'axb', false], // . is literal
      ['[]]x', ']x', true],
      ['[^a]', '^', true], // ^ is literal in fnmatch sets
      ['[', '[', true], // an unclosed [ is literal
      ['(a)+', '(a)+', true],
    ];
    for (const [pattern, path, want] of cases) expect(matchesAny(path, [pattern]), `${pattern} ~ ${path}`).toBe(want);
  });

  it('filters with allow first, then ignore', () => {
    const paths = ['a.json', 'b.txt', 'logs/x.log', 'sub/c.json'];
    expect(filterPaths(paths, ['*.json', 'logs/'], ['sub/*'])).toEqual(['a.json', 'logs/x.log']);
    expect(filterPaths(paths, undefined, ['*.json'])).toEqual(['b.txt', 'logs/x.log']);
    expect(filterPaths(paths, [], undefined)).toEqual([]);
  });

  const py = findPython(['fnmatch']);
  it.skipIf(py.skipReason !== undefined)(`agrees with Python's fnmatchcase on generated cases${py.skipReason ? ` (skipped: ${py.skipReason})` : ''}`, async () => {
    const alphabet = ['a', 'b', '.', '/', '*', '?', '[', ']', '!', '-', '^', '0'];
    const text = fc.array(fc.constantFrom(...alphabet), { minLength: 0, maxLength: 8 }).map((xs) => xs.join(''));
    const cases = fc.sample(fc.tuple(text, text.map((t) => t.replace(/[*?[\]!^]/g, 'a'))), { numRuns: 3000, seed: 42 });
    const script = [
      'import sys, json, fnmatch',
      'cases = json.load(sys.stdin)',
      'print(json.dumps([fnmatch.fnmatchcase(p, (pat + "*") if pat.endswith("/") else pat) for pat, p in cases]))',
    ].join('\n');
    const { spawn } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(py.python, ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
      let o = '';
      child.stdout.on('data', (d: Buffer) => (o += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve(o) : reject(new Error(`python exited ${code}`))));
      child.stdin.end(JSON.stringify(cases));
    });
    const want = JSON.parse(out) as boolean[];
    cases.forEach(([pattern, path], i) => expect(matchesAny(path, [pattern]), `${JSON.stringify(pattern)} ~ ${JSON.stringify(path)}`).toBe(want[i]));
  });
});
