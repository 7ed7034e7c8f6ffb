/**
 * Consistency of loads under concurrent saves (issue 13): `Checkpoint.load` with a strict
 * template, N times (default 5,000), while two writer processes keep replacing the same
 * checkpoint (1, 4 and 2 shards in turn). Counts loads that mix two saves, that break the
 * template, and that fail.
 *
 * Run: `npx tsx --conditions=source packages/kaun/bench/concurrent-loads.ts [loads]` (prints JSON).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nx from '@raven/nx';
import { concurrentLoads } from '../test/checkpoint/crash-harness.js';

const loads = Number(process.argv[2] ?? 5000);
const root = await mkdtemp(join(tmpdir(), 'kaun-concurrent-'));
const t0 = performance.now();
try {
  const r = await concurrentLoads(root, loads);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ what: 'Checkpoint.load (strict template) against 2 processes saving the same checkpoint', backend: nx.backendInfo().backend, seconds: Math.round(seconds * 10) / 10, ...r }, null, 2));
} finally {
  await rm(root, { recursive: true, force: true });
}
