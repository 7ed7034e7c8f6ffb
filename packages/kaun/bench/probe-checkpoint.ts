/**
 * The figures of issue 13 ("no checkpoint lost, no silent wrong value") in one command:
 * `npm run probe:checkpoint -w @raven/kaun` prints one JSON object with
 * - `kills`: `bench/crash-sweep.ts`: a child saving a checkpoint is SIGKILLed at every disk step
 *   (new 1 and 4 shards; 1->1, 1->4, 4->1, 4->4, 4->2, 2->4; with `--strace` also at every
 *   rename/link/unlink system call, injected by strace); the percentage of kill points whose folder
 *   loads as the old or the new save bit for bit, and the folders that still hold a temporary or
 *   stale file after the next save (`staleAfterNextSave`);
 * - `concurrentLoads`: `bench/concurrent-loads.ts`: 5,000 strict loads against 2 writer processes
 *   (mixed and template-violating results);
 * - `flips`: `bench/checksum-flips.ts`: 1,000 random byte flips in the data region of a
 *   checksummed file (detected, silent);
 * - `checksumCost`: save and load MB/s with and without checksums, from `bench/checkpoint.ts`.
 *
 * Options: `--loads N` (5000), `--flips N` (1000), `--mb N` (tree size for the cost, 200),
 * `--strace` (adds the strace sweep when strace can trace here). Each part runs in its own
 * process; their own JSON is kept under `details`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Runs one bench script with tsx and returns its JSON (the last `{...}` block of its stdout). */
function part(script: string, args: string[]): { json: Record<string, unknown>; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', here(script), ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  const start = r.stdout.lastIndexOf('\n{');
  const text = start >= 0 ? r.stdout.slice(start + 1) : r.stdout;
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}: ${r.stdout.slice(-2000)}`);
  return { json: JSON.parse(text) as Record<string, unknown>, seconds };
}

interface SweepRow { scenario: string; killPoints: number; killed: number; old: number; new: number; none: number; wrong: string[]; transformersAgree: number | string; cleanAfterNextSave: number }

const started = new Date().toISOString();
const sweep = part('./crash-sweep.ts', process.argv.includes('--strace') ? ['--strace'] : []);
const rows = sweep.json['rows'] as SweepRow[];
const killPoints = rows.reduce((a, r) => a + r.killPoints, 0);
const oldOrNew = rows.reduce((a, r) => a + r.old + r.new + r.none, 0);
const concurrent = part('./concurrent-loads.ts', [String(arg('loads', 5000))]);
const flips = part('./checksum-flips.ts', [String(arg('flips', 1000))]);
const cost = part('./checkpoint.ts', ['--mb', String(arg('mb', 200))]);

console.log(JSON.stringify({
  what: 'issue 13 figures: kill sweep, concurrent loads, byte flips, checksum cost',
  started,
  backend: sweep.json['backend'],
  kills: {
    killPoints,
    oldOrNew,
    percentLoadableOldOrNew: Math.round((1000 * oldOrNew) / Math.max(1, killPoints)) / 10,
    wrong: rows.flatMap((r) => r.wrong.map((w) => `${r.scenario} ${w}`)),
    staleAfterNextSave: rows.reduce((a, r) => a + (r.killPoints - r.cleanAfterNextSave), 0),
    transformersAgree: rows.map((r) => r.transformersAgree).every((t) => typeof t === 'number') ? rows.reduce((a, r) => a + (r.transformersAgree as number), 0) : rows[0]?.transformersAgree,
    perScenario: Object.fromEntries(rows.map((r) => [r.scenario, { killPoints: r.killPoints, killed: r.killed, old: r.old, new: r.new, noneOnNew: r.none, wrong: r.wrong.length, cleanAfterNextSave: r.cleanAfterNextSave }])),
    seconds: sweep.seconds,
  },
  concurrentLoads: {
    loads: concurrent.json['loads'],
    mixed: concurrent.json['mixed'],
    templateViolations: concurrent.json['templateViolations'],
    failed: concurrent.json['failed'],
    versionsSeen: concurrent.json['versionsSeen'],
    writerSaves: concurrent.json['saves'],
    seconds: concurrent.seconds,
  },
  flips: { ...flips.json, seconds: flips.seconds },
  checksumCost: { treeMB: cost.json['treeMB'], ...(cost.json['checksumCost'] as object) },
  details: { checkpointRuns: cost.json['runs'], concurrentErrors: concurrent.json['errors'] },
}, null, 2));
