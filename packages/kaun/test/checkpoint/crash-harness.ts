/**
 * Kill-point sweeps for checkpoint saves, shared by crash.test.ts and bench/crash-sweep.ts.
 *
 * A scenario replaces a checkpoint of `from` shards (0: none, 1: a single file) by one of `to`
 * shards. The old checkpoint is written by a child process (so its writer is gone, as after a
 * real restart); then, for every disk step k of the replacing save (nx.io.faultPoint), a fresh
 * copy of the folder is saved into by a child that kills itself (SIGKILL) at step k. Each folder
 * is then loaded and must hold exactly the old or the new version.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import * as nx from '@raven/nx';
import { Checkpoint, Ptree } from '@raven/kaun';
import { fillTree, LEAVES, PER_LEAF, versionValues } from './crash-setup.js';

const cacheDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../node_modules/.cache/raven-crash');
let child: string | undefined;

/**
 * Bundles a child script of this folder (with the kaun and nx sources; other packages stay external) into
 * one plain JavaScript file, so that a short child process starts in a third of the time tsx
 * takes. The caller removes the file when done.
 * @returns the bundle's path.
 */
export async function bundleChild(script: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const out = join(cacheDir, `${script.replace(/\.ts$/, '')}-${process.pid}-${Date.now()}.mjs`);
  // the workspace's own sources are bundled; every other package stays external (Node loads it)
  const externalPackages = { name: 'external-packages', setup(b: { onResolve: (o: { filter: RegExp }, f: (a: { path: string }) => { external: boolean } | undefined) => void }) {
    b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@raven/') ? undefined : { external: true }));
  } };
  await build({ entryPoints: [fileURLToPath(new URL(`./${script}`, import.meta.url))], bundle: true, platform: 'node', format: 'esm', conditions: ['source'], outfile: out, logLevel: 'error', plugins: [externalPackages] });
  return out;
}

/** Bundles crash-child.ts for {@link runChild}; {@link dropChild} removes the bundle. */
export async function prepareChild(): Promise<void> {
  child ??= await bundleChild('crash-child.ts');
}

/** Removes the bundle made by {@link prepareChild}. */
export async function dropChild(): Promise<void> {
  if (child !== undefined) await rm(child, { force: true });
  child = undefined;
}

/** How a child run ended. */
export interface ChildRun {
  /** Exit code (null when killed). */
  code: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** Its stderr. */
  stderr: string;
}

/** Runs the save child: version `v` of the tree into `path` as `shards` shards. */
export function runChild(path: string, v: number, shards: number, faultAt?: number | 'list', extraEnv: Record<string, string> = {}, wrapper: string[] = []): Promise<ChildRun> {
  const env: Record<string, string | undefined> = { ...process.env, NX_BACKEND: 'cpu', ...extraEnv };
  if (faultAt === undefined) delete env['RAVEN_FAULT_AT'];
  else env['RAVEN_FAULT_AT'] = String(faultAt);
  if (child === undefined) throw new Error('call prepareChild() first');
  const argv = [process.execPath, child, path, String(v), String(shards)];
  const p = spawn(wrapper.length > 0 ? wrapper[0]! : argv[0]!, wrapper.length > 0 ? [...wrapper.slice(1), ...argv] : argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => p.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

/** The labels of the disk steps of a save (a run with RAVEN_FAULT_AT=list). */
export function pointsOf(run: ChildRun): string[] {
  return run.stderr.split('\n').filter((l) => l.startsWith('raven-fault-point ')).map((l) => l.replace(/^raven-fault-point \d+ /, ''));
}

/** What a folder holds after a kill. */
export type Outcome = 'old' | 'new' | 'none' | `wrong: ${string}`;

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Which version a set of key -> values is: `old`, `new`, or a description of what is wrong. */
export function classify(values: Record<string, ArrayLike<number>>, oldV: number | undefined, newV: number): Outcome {
  const keys = Object.keys(values).sort();
  for (const [name, v] of [['old', oldV], ['new', newV]] as const) {
    if (v === undefined) continue;
    const want = versionValues(v);
    if (keys.length === LEAVES && keys.every((k) => want[k] !== undefined && same(values[k]!, want[k]!))) return name;
  }
  const versions = new Set(keys.map((k) => Math.floor((values[k]![0] ?? NaN) / 1000)));
  return `wrong: keys ${keys.join(',')} of versions ${[...versions].join(',')}`;
}

/** Loads the folder with a strict template and says which version it holds. */
export async function loadOutcome(folder: string, oldV: number | undefined, newV: number): Promise<Outcome> {
  const like: Record<string, nx.Tensor> = {};
  for (let i = 0; i < LEAVES; i++) like[`layer${i}`] = nx.zeros([PER_LEAF]);
  try {
    const got = await Checkpoint.load(folder, { like });
    const values = Object.fromEntries(Object.entries(got).map(([k, t]) => [k, nx.toTypedArray(t)]));
    Ptree.dispose(got);
    return classify(values, oldV, newV);
  } catch (err) {
    if (oldV === undefined && /no checkpoint at|holds no model\.safetensors/.test((err as Error).message)) return 'none';
    return `wrong: ${(err as Error).name}: ${(err as Error).message}`;
  } finally {
    Ptree.dispose(like);
  }
}

/** One kill point's result. */
export interface KillResult {
  /** 1-based step at which the save was killed. */
  k: number;
  /** What the step was about to do. */
  label: string;
  /** Whether the child really died of SIGKILL. */
  killed: boolean;
  /** The folder it left. */
  folder: string;
  /** What a load found there. */
  outcome: Outcome;
}

/** A replacing save: `from` shards (0 none, 1 single file) to `to` shards. */
export interface Scenario {
  /** Shards of the old checkpoint; 0 for none. */
  from: number;
  /** Shards of the new one; 1 for a single file. */
  to: number;
}

/** Runs `jobs` with at most `parallel` at a time. */
async function pool<T>(jobs: Array<() => Promise<T>>, parallel: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

/**
 * Sweeps every kill point of a scenario under `root`: returns one result per point (in order).
 * `only` restricts the points swept (1-based); `parallel` children run at once.
 */
export async function sweep(root: string, s: Scenario, options: { parallel?: number; only?: (k: number, n: number) => boolean } = {}): Promise<{ points: string[]; results: KillResult[] }> {
  await prepareChild();
  const template = join(root, `from${s.from}-to${s.to}-template`);
  await rm(template, { recursive: true, force: true });
  if (s.from > 0) {
    const setup = await runChild(template, 1, s.from);
    if (setup.code !== 0) throw new Error(`setup failed: ${setup.stderr}`);
  }
  const copy = async (to: string) => {
    await rm(to, { recursive: true, force: true });
    if (s.from > 0) await cp(template, to, { recursive: true });
  };
  const listing = join(root, `from${s.from}-to${s.to}-list`);
  await copy(listing);
  const listed = await runChild(listing, 2, s.to, 'list');
  if (listed.code !== 0) throw new Error(`listing run failed: ${listed.stderr}`);
  const points = pointsOf(listed);
  const ks = points.map((_, i) => i + 1).filter((k) => options.only?.(k, points.length) ?? true);
  const results = await pool(ks.map((k) => async (): Promise<KillResult> => {
    const folder = join(root, `from${s.from}-to${s.to}-k${k}`);
    await copy(folder);
    const run = await runChild(folder, 2, s.to, k);
    return { k, label: points[k - 1]!, killed: run.signal === 'SIGKILL', folder, outcome: 'none' };
  }), options.parallel ?? 2);
  for (const r of results) r.outcome = await loadOutcome(r.folder, s.from > 0 ? 1 : undefined, 2);
  return { points, results };
}

/** The files in a folder, sorted. */
export async function listing(folder: string): Promise<string[]> {
  return (await readdir(folder)).sort();
}

/** The files a clean checkpoint folder of `shards` shards holds, as a later save leaves it. */
export function cleanFiles(files: string[], shards: number): boolean {
  if (files.some((f) => f.startsWith('.'))) return false;
  if (shards <= 1) return files.length === 1 && files[0] === 'model.safetensors';
  return files.length === shards + 1 && files.includes('model.safetensors.index.json') && files.filter((f) => f.endsWith('.safetensors')).length === shards;
}

/** What {@link concurrentLoads} saw. */
export interface ConcurrentResult {
  /** Loads done. */
  loads: number;
  /** Loads whose leaves came from different saves. */
  mixed: number;
  /** Loads that returned a shape or key set the template forbids. */
  templateViolations: number;
  /** Loads that failed with an error (the messages, first 5). */
  errors: string[];
  /** Number of failed loads. */
  failed: number;
  /** Distinct saves seen by the loads. */
  versionsSeen: number;
  /** Saves each writer completed while the loads ran. */
  saves: number[];
}

/**
 * Loads the checkpoint in `root/conc` `loads` times while two writer processes keep replacing it
 * (1, 4 and 2 shards in turn), and counts mixed results (leaves of two saves in one load). Loads
 * start once both writers have saved, and go on past `loads` until each writer saved 3 more times.
 */
export async function concurrentLoads(root: string, loads: number): Promise<ConcurrentResult> {
  const writer = await bundleChild('writer-child.ts');
  const folder = join(root, 'conc');
  const stop = join(root, 'conc-stop');
  await rm(stop, { force: true });
  const first = fillTree(16_000_000);
  await Checkpoint.save(folder, first);
  Ptree.dispose(first);
  const outputs: string[] = ['', ''];
  const saves = [0, 0];
  const exited = [false, false];
  const done = [0, 1].map((w) => {
    const p = spawn(process.execPath, [writer, folder, String(w), stop], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NX_BACKEND: 'cpu' } });
    p.stdout.on('data', (d: Buffer) => { saves[w] += d.toString().split('\n').filter((l) => l.startsWith('saved ')).length; });
    p.stderr.on('data', (d: Buffer) => { outputs[w] += d.toString(); });
    return new Promise<number | null>((resolve) => p.on('close', (code) => { exited[w] = true; resolve(code); }));
  });
  const like: Record<string, nx.Tensor> = {};
  for (let i = 0; i < LEAVES; i++) like[`layer${i}`] = nx.zeros([PER_LEAF]);
  const result: ConcurrentResult = { loads: 0, mixed: 0, templateViolations: 0, errors: [], failed: 0, versionsSeen: 0, saves: [] };
  const seen = new Set<number>();
  try {
    // start loading once both writers are saving, and keep loading until each saved 3 more times
    const deadline = Date.now() + 120_000;
    while (Math.min(...saves) < 1 && Date.now() < deadline && !exited.some(Boolean)) await new Promise((r) => setTimeout(r, 20));
    const start = [...saves];
    while ((result.loads < loads || saves.some((n, w) => n - start[w]! < 3)) && Date.now() < deadline + 120_000 && !exited.some(Boolean)) {
      let got: Record<string, nx.Tensor>;
      try {
        got = await Checkpoint.load(folder, { like });
      } catch (err) {
        result.failed++;
        if (result.errors.length < 5) result.errors.push(`${(err as Error).name}: ${(err as Error).message}`);
        continue;
      } finally {
        result.loads++;
      }
      const keys = Object.keys(got).sort();
      if (keys.length !== LEAVES || keys.some((k) => got[k]!.shape.length !== 1 || got[k]!.shape[0] !== PER_LEAF)) result.templateViolations++;
      const values = new Set<number>();
      for (const t of Object.values(got)) for (const v of nx.toTypedArray(t)) values.add(v);
      if (values.size !== 1) result.mixed++;
      else seen.add([...values][0]!);
      Ptree.dispose(got);
    }
    result.saves = saves.map((n, w) => n - start[w]!);
  } finally {
    await writeFile(stop, 'stop');
    const codes = await Promise.all(done);
    await rm(writer, { force: true });
    Ptree.dispose(like);
    codes.forEach((c, w) => { if (c !== 0) result.errors.push(`writer ${w} exited with ${c}: ${outputs[w]!.slice(-500)}`); });
  }
  result.versionsSeen = seen.size;
  return result;
}
