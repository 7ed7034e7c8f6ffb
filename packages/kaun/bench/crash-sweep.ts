/**
 * Kill-point sweep of Checkpoint.save (issue 13): for every scenario (a new checkpoint of 1 or 4
 * shards; replacing 1 with 1 or 4, 4 with 4, 2 or 1, 2 with 4), a child process saving the new
 * checkpoint is killed with SIGKILL at each of its disk steps in turn; the folder it leaves is
 * loaded (kaun, and transformers when Python has it) and must hold the old or the new version,
 * bit for bit; then a save from this (live) process must leave no temporary or stale file.
 *
 * Run: `npx tsx --conditions=source packages/kaun/bench/crash-sweep.ts [--strace]` (prints JSON).
 * With `--strace`, the kills are also injected by strace at each rename, link and unlink system
 * call (`strace -f -e inject=SYSCALL:signal=KILL:when=N`), independent of the save's own hooks.
 * Python: `$RAVEN_PYTHON` (else python3) with transformers, safetensors and torch.
 */
import { mkdtemp, rm, cp } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { Checkpoint, Ptree } from '@raven/kaun';
import { classify, cleanFiles, dropChild, listing, loadOutcome, prepareChild, runChild, sweep, type Outcome, type Scenario } from '../test/checkpoint/crash-harness.js';
import { shardLimit, versionTree } from '../test/checkpoint/crash-setup.js';
import { pythonWith, runPython } from '../test/checkpoint/python.js';

const SCENARIOS: Scenario[] = [
  { from: 0, to: 1 }, { from: 0, to: 4 },
  { from: 1, to: 1 }, { from: 1, to: 4 }, { from: 4, to: 1 },
  { from: 4, to: 4 }, { from: 4, to: 2 }, { from: 2, to: 4 },
];
const resolver = fileURLToPath(new URL('../test/checkpoint/transformers_resolve.py', import.meta.url));
const py = pythonWith(['transformers', 'safetensors', 'torch']);
const useStrace = process.argv.includes('--strace');

interface Row { scenario: string; killPoints: number; killed: number; old: number; new: number; none: number; wrong: string[]; transformersAgree: number | string; cleanAfterNextSave: number }

async function check(s: Scenario, folders: Array<{ folder: string; outcome: Outcome; label: string }>, row: Row): Promise<void> {
  const loadable = folders.filter((f) => f.outcome !== 'none');
  if (py.ok) {
    const seen = JSON.parse(runPython(py.python, resolver, JSON.stringify(loadable.map((f) => f.folder)))) as Record<string, { keys?: Record<string, number[]>; error?: string }>;
    row.transformersAgree = loadable.filter((f) => seen[f.folder]?.keys !== undefined && classify(seen[f.folder]!.keys!, s.from > 0 ? 1 : undefined, 2) === f.outcome).length;
  } else if (!py.ok) {
    row.transformersAgree = `skipped: ${py.reason}`;
  }
  const v3 = versionTree(3);
  for (const f of folders) {
    await Checkpoint.save(f.folder, v3, { maxShardSize: shardLimit(s.to) });
    if (cleanFiles(await listing(f.folder), s.to) && (await loadOutcome(f.folder, undefined, 3)) === 'new') row.cleanAfterNextSave++;
  }
  Ptree.dispose(v3);
}

function tally(row: Row, outcome: Outcome, label: string): void {
  if (outcome === 'old') row.old++;
  else if (outcome === 'new') row.new++;
  else if (outcome === 'none') row.none++;
  else row.wrong.push(`${label}: ${outcome}`);
}

/** Kills by strace at the n-th rename/link/unlink system call of the save. */
async function straceSweep(root: string, s: Scenario): Promise<Row> {
  const row: Row = { scenario: `strace ${s.from}->${s.to}`, killPoints: 0, killed: 0, old: 0, new: 0, none: 0, wrong: [], transformersAgree: 0, cleanAfterNextSave: 0 };
  const template = join(root, `st-${s.from}-${s.to}-template`);
  if (s.from > 0) await runChild(template, 1, s.from);
  const copy = async (to: string) => { await rm(to, { recursive: true, force: true }); if (s.from > 0) await cp(template, to, { recursive: true }); };
  const syscalls = ['rename', 'link', 'unlink'];
  const folders: Array<{ folder: string; outcome: Outcome; label: string }> = [];
  for (const sc of syscalls) {
    // count the calls of a clean save
    const probe = join(root, `st-${s.from}-${s.to}-${sc}-probe`);
    await copy(probe);
    const log = join(root, `st-${sc}.log`);
    await runChild(probe, 2, s.to, undefined, {}, ['strace', '-f', '-qq', '-o', log, '-e', `trace=${sc}`]);
    const calls = spawnSync('grep', ['-c', `^[0-9]* *${sc}(`, log], { encoding: 'utf8' }).stdout.trim();
    const n = Number(calls) || 0;
    for (let k = 1; k <= n; k++) {
      const folder = join(root, `st-${s.from}-${s.to}-${sc}-${k}`);
      await copy(folder);
      const run = await runChild(folder, 2, s.to, undefined, {}, ['strace', '-f', '-qq', '-o', '/dev/null', '-e', `inject=${sc}:signal=KILL:when=${k}`]);
      row.killPoints++;
      if (run.signal === 'SIGKILL' || run.code === 137) row.killed++;
      const outcome = await loadOutcome(folder, s.from > 0 ? 1 : undefined, 2);
      tally(row, outcome, `${sc}#${k}`);
      folders.push({ folder, outcome, label: `${sc}#${k}` });
    }
  }
  await check(s, folders, row);
  return row;
}

const root = await mkdtemp(join(tmpdir(), 'kaun-crash-sweep-'));
const rows: Row[] = [];
const t0 = performance.now();
try {
  await prepareChild();
  for (const s of SCENARIOS) {
    const { results } = await sweep(root, s, { parallel: 2 });
    const row: Row = { scenario: s.from === 0 ? `new ${s.to}` : `${s.from}->${s.to}`, killPoints: results.length, killed: results.filter((r) => r.killed).length, old: 0, new: 0, none: 0, wrong: [], transformersAgree: 0, cleanAfterNextSave: 0 };
    for (const r of results) tally(row, r.outcome, `k=${r.k} ${r.label}`);
    await check(s, results.map((r) => ({ folder: r.folder, outcome: r.outcome, label: r.label })), row);
    rows.push(row);
    console.error(JSON.stringify(row));
  }
  if (useStrace) {
    const ok = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true']).status === 0;
    if (!ok) rows.push({ scenario: 'strace', killPoints: 0, killed: 0, old: 0, new: 0, none: 0, wrong: ['strace cannot trace here (ptrace not permitted?)'], transformersAgree: 0, cleanAfterNextSave: 0 });
    else for (const s of [{ from: 4, to: 4 }, { from: 1, to: 4 }, { from: 4, to: 1 }]) rows.push(await straceSweep(root, s));
  }
} finally {
  await dropChild();
  await rm(root, { recursive: true, force: true });
}
const total = rows.reduce((a, r) => a + r.killPoints, 0);
const good = rows.reduce((a, r) => a + r.old + r.new + r.none, 0);
console.log(JSON.stringify({
  what: 'Checkpoint.save killed (SIGKILL) at every disk step; outcome of loading the folder left behind',
  backend: nx.backendInfo().backend,
  killPoints: total,
  oldOrNew: good,
  percentLoadable: Math.round((1000 * good) / Math.max(1, total)) / 10,
  seconds: Math.round((performance.now() - t0) / 100) / 10,
  rows,
}, null, 2));
