/**
 * Upload benchmark, printed as JSON: a 1 GB file (`BENCH_UPLOAD_MB`, default 1024) of random
 * bytes uploaded with `uploadFile` to the loopback fake Hub (LFS multipart, 8 MB parts), then
 * downloaded back with `downloadFile` and compared by sha256. The Hub runs in a process of its
 * own and so does each client, so the figures are the client's alone: wall time and MB/s of the
 * upload (and of its hashing and sending phases), and its peak resident memory (`maxRSS`) next to
 * the same process's memory before the upload, which shows that memory stays flat whatever the
 * file size (the file is hashed and sent as streams).
 *
 *   npm run bench:upload -w @raven/kaun-hf          (BENCH_UPLOAD_MB=4096 for 4 GB)
 * @module
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const TOKEN = 'hf_bench';
const MB = 1e6;
const round = (x: number, d = 1): number => Number(x.toFixed(d));

/** Resident memory now and at most so far, in MB. */
function memory(): { rssMB: number; maxRssMB: number } {
  return { rssMB: round(process.memoryUsage().rss / MB), maxRssMB: round((process.resourceUsage().maxRSS * 1024) / MB) };
}

/** Runs this file in a child process with `role`, returning the child and its first stdout line as JSON. */
function child(role: string, args: string[], env: Record<string, string> = {}): { done: Promise<Record<string, unknown>>; kill(): void } {
  const c = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', SELF, role, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const done = new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: c.stdout }).once('line', (line) => resolve(JSON.parse(line) as Record<string, unknown>));
    c.once('exit', (code) => reject(new Error(`bench ${role} exited ${code}`)));
  });
  return { done, kill: () => c.kill('SIGTERM') };
}

async function hubRole(): Promise<void> {
  const { startHubServer } = await import('../test/helpers/hub-server.js');
  const hub = await startHubServer({ repos: {}, users: { [TOKEN]: { name: 'bench' } }, memoryLimit: 0 });
  process.stdout.write(`${JSON.stringify({ endpoint: hub.endpoint })}\n`);
  process.once('SIGTERM', () => void hub.close().then(() => process.exit(0)));
}

async function uploadRole(file: string, endpoint: string): Promise<void> {
  const { createRepo, uploadFile } = await import('@raven/kaun-hf');
  const before = memory();
  const phases: Record<string, { start: number; end: number }> = {};
  let samples = 0;
  let peakSampled = 0;
  const timer = setInterval(() => {
    samples++;
    peakSampled = Math.max(peakSampled, process.memoryUsage().rss);
  }, 50);
  const { repoId } = await createRepo('big', { endpoint, token: TOKEN, existOk: true });
  const t0 = performance.now();
  const info = await uploadFile(repoId, {
    endpoint,
    token: TOKEN,
    source: file,
    pathInRepo: 'model.safetensors',
    onProgress: (p) => {
      const now = performance.now();
      const ph = (phases[p.phase] ??= { start: now, end: now });
      ph.end = now;
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  const after = memory();
  const span = (name: string): number => round(((phases[name]?.end ?? 0) - (phases[name]?.start ?? 0)) / 1000, 2);
  process.stdout.write(
    `${JSON.stringify({ repoId, committed: info.committed, uploaded: info.uploaded, seconds: round(seconds, 2), hashSeconds: span('hashing'), sendSeconds: span('uploading'), rssBeforeMB: before.rssMB, maxRssMB: after.maxRssMB, sampledPeakRssMB: round(peakSampled / MB), samples })}\n`,
  );
}

async function downloadRole(endpoint: string, cacheDir: string): Promise<void> {
  const { downloadFile } = await import('@raven/kaun-hf');
  const before = memory();
  const t0 = performance.now();
  const path = await downloadFile({ modelId: 'bench/big', filename: 'model.safetensors', endpoint, token: TOKEN, cacheDir });
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({ path, seconds: round(seconds, 2), rssBeforeMB: before.rssMB, maxRssMB: memory().maxRssMB })}\n`);
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function main(): Promise<void> {
  const mb = Number(process.env['BENCH_UPLOAD_MB'] ?? 1024);
  const size = Math.round(mb * 1024 * 1024);
  const dir = mkdtempSync(join(tmpdir(), 'kaun-hf-bench-upload-'));
  const hub = child('hub', []);
  try {
    const file = join(dir, 'big.bin');
    process.stderr.write(`[bench] writing ${mb} MiB of random bytes to ${file}\n`);
    const out = createWriteStream(file);
    const hash = createHash('sha256');
    for (let left = size; left > 0; ) {
      const n = Math.min(left, 8 << 20);
      const chunk = randomBytes(n);
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      left -= n;
    }
    await new Promise<void>((r) => out.end(() => r()));
    const sha = hash.digest('hex');
    const { endpoint } = (await hub.done) as { endpoint: string };
    process.stderr.write('[bench] uploading\n');
    const up = await child('upload', [file, endpoint]).done;
    process.stderr.write('[bench] downloading back\n');
    const down = await child('download', [endpoint, join(dir, 'cache')]).done;
    const same = (await sha256File(down['path'] as string)) === sha;
    const seconds = up['seconds'] as number;
    process.stdout.write(
      `${JSON.stringify(
        {
          bench: 'kaun-hf upload (loopback fake Hub, LFS multipart 8 MB parts)',
          sizeMiB: mb,
          upload: { ...up, MBps: round(size / MB / seconds), hashMBps: round(size / MB / (up['hashSeconds'] as number)), sendMBps: round(size / MB / (up['sendSeconds'] as number)) },
          download: { seconds: down['seconds'], MBps: round(size / MB / (down['seconds'] as number)), rssBeforeMB: down['rssBeforeMB'], maxRssMB: down['maxRssMB'] },
          roundTripSha256Equal: same,
          node: process.versions.node,
        },
        null,
        2,
      )}\n`,
    );
    if (!same) process.exitCode = 1;
  } finally {
    hub.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [role, a, b] = process.argv.slice(2);
if (role === 'hub') await hubRole();
else if (role === 'upload') await uploadRole(a as string, b as string);
else if (role === 'download') await downloadRole(a as string, b as string);
else await main();
