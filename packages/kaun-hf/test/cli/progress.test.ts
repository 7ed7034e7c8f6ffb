/**
 * The progress renderer of the command-line tool, with a fake terminal and a fake clock.
 * (The CLI is not part of the package API, so its modules are imported from src/cli.)
 */
import { describe, expect, it } from 'vitest';

import type { DownloadProgress, UploadProgress } from '@raven/kaun-hf';

import { formatBytes, formatSeconds } from '../../src/cli/format.js';
import { createProgressRenderer, createUploadRenderer } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean, columns = 80) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (s: string) => writes.push(s) } };
}
const ev = (downloaded: number, extra: Partial<DownloadProgress> = {}): DownloadProgress => ({
  modelId: 'org/r',
  filename: 'model.safetensors',
  downloaded,
  total: 1000,
  resumedFrom: 0,
  done: false,
  fromCache: false,
  ...extra,
});

describe('createProgressRenderer', () => {
  it('on a terminal redraws one bar in place with bytes, percent and speed, at most every redrawMs', () => {
    let t = 0;
    const { writes, stream } = fakeStream(true);
    const render = createProgressRenderer(stream, { now: () => t, redrawMs: 100 });
    render(ev(0));
    t = 50;
    render(ev(100)); // too soon: skipped
    t = 150;
    render(ev(300));
    t = 400;
    render(ev(1000, { done: true }));
    expect(writes).toHaveLength(3);
    for (const w of writes) expect(w.startsWith('\r\x1b[2K')).toBe(true);
    const frame = writes[1] as string;
    expect(frame).toContain(' 30% 300 B/1.0 kB');
    expect(frame).toContain('2.0 kB/s'); // 300 bytes in 0.15 s
    const bar = /\[(#*)(\.*)\]/.exec(frame)!;
    const width = bar[1]!.length + bar[2]!.length;
    expect(Math.abs(bar[1]!.length / width - 0.3)).toBeLessThanOrEqual(1 / width);
    expect(frame.length - '\r\x1b[2K'.length).toBeLessThanOrEqual(79); // fits the 80-column terminal
    expect(frame.endsWith('\n')).toBe(false);
    const last = writes[2] as string;
    expect(last).toContain('100% 1.0 kB/1.0 kB');
    expect(last).toMatch(/\[#+\]/);
    expect(last.endsWith('\n')).toBe(true);
  });

  it('counts only new bytes in the speed of a resumed download, and prints cached files once', () => {
    let t = 0;
    const { writes, stream } = fakeStream(true, 0); // a pty without a size reports 0 columns
    const render = createProgressRenderer(stream, { now: () => t });
    render(ev(500, { resumedFrom: 500 }));
    t = 1000;
    render(ev(1000, { resumedFrom: 500, done: true }));
    expect(writes[1]).toContain('500 B/s');
    render(ev(1000, { filename: 'config.json', done: true, fromCache: true }));
    expect(writes[2]).toBe('\r\x1b[2Kconfig.json: cached (1.0 kB)\n');
  });

  it('elsewhere writes plain lines: start, one every lineEveryMs, done; never a carriage return', () => {
    let t = 0;
    const { writes, stream } = fakeStream(false);
    const render = createProgressRenderer(stream, { now: () => t, lineEveryMs: 5000 });
    render(ev(0));
    for (t = 100; t <= 6000; t += 100) render(ev(Math.min(999, t / 10)));
    t = 6500;
    render(ev(1000, { done: true }));
    expect(writes).toEqual([
      'model.safetensors: downloading (1.0 kB)\n',
      'model.safetensors: 50% 500 B/1.0 kB 100 B/s\n',
      'model.safetensors: done, 1.0 kB in 6.5 s (154 B/s)\n',
    ]);
  });

  it('says when it resumes and when the size is unknown', () => {
    const { writes, stream } = fakeStream(false);
    const render = createProgressRenderer(stream, { now: () => 0 });
    render(ev(2_500_000, { resumedFrom: 2_500_000, total: 10_000_000 }));
    render(ev(0, { filename: 'x.bin', total: undefined }));
    expect(writes).toEqual([
      'model.safetensors: downloading (10.0 MB, resuming at 2.5 MB)\n',
      'x.bin: downloading (size unknown)\n',
    ]);
  });
});

describe('formatting', () => {
  it('uses decimal units and readable durations', () => {
    expect([0, 999, 1000, 1_500_000, 3e9].map(formatBytes)).toEqual(['0 B', '999 B', '1.0 kB', '1.5 MB', '3.0 GB']);
    expect([0.42, 12.4, 185].map(formatSeconds)).toEqual(['0.4 s', '12 s', '3 min 05 s']);
  });
});

describe('createUploadRenderer', () => {
  const up = (phase: UploadProgress['phase'], bytes: number, done = false): UploadProgress => ({ repoId: 'org/r', pathInRepo: 'model.safetensors', phase, bytes, total: 2000, done });

  it('on a terminal draws a bar for hashing, then one for the upload', () => {
    let t = 0;
    const { writes, stream } = fakeStream(true, 120);
    const render = createUploadRenderer(stream, { now: () => t, redrawMs: 0 });
    render(up('hashing', 0));
    t = 100;
    render(up('hashing', 2000, true));
    render(up('uploading', 0));
    t = 600;
    render(up('uploading', 1000));
    t = 1100;
    render(up('uploading', 2000, true));
    expect(writes.every((w) => w.startsWith('\r\x1b[2K'))).toBe(true);
    expect(writes[1]).toMatch(/^\r\x1b\[2Kmodel\.safetensors \(sha256\) +\[#+\] 100% 2\.0 kB\/2\.0 kB/);
    expect(writes[3]).toMatch(/model\.safetensors \(upload\) +\[#+\.+\]  50% 1\.0 kB\/2\.0 kB 2\.0 kB\/s/);
    expect(writes.at(-1)).toMatch(/\(upload\) +\[#+\] 100% .*\n$/);
  });

  it('elsewhere writes plain lines, and says when a file is left out', () => {
    let t = 0;
    const { writes, stream } = fakeStream(false);
    const render = createUploadRenderer(stream, { now: () => t });
    render(up('hashing', 0));
    t = 1000;
    render(up('hashing', 2000, true));
    render(up('uploading', 0));
    t = 3000;
    render(up('uploading', 2000, true));
    render({ ...up('unchanged', 2000, true), pathInRepo: 'config.json' });
    render({ ...up('stored', 2000, true), pathInRepo: 'other.bin' });
    expect(writes).toEqual([
      'model.safetensors: hashing (2.0 kB)\n',
      'model.safetensors: done, 2.0 kB in 1.0 s (2.0 kB/s)\n',
      'model.safetensors: uploading (2.0 kB)\n',
      'model.safetensors: done, 2.0 kB in 2.0 s (1.0 kB/s)\n',
      'config.json: unchanged on the branch, left out\n',
      "other.bin: already in the Hub's storage, not sent again\n",
    ]);
  });
});
