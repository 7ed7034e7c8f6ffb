/**
 * The checkpoint manager and exact resumption: a child process is killed (SIGKILL) in the middle
 * of an epoch, a second one resumes from the newest checkpoint, and the result equals an
 * uninterrupted run bit for bit (parameters, model state, optimizer state with its lowered
 * learning rate, history, CSV log).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as nx from '@raven/nx';
import { Checkpoint, CheckpointError, CheckpointManager, Optim, Ptree, Train } from '@raven/kaun';
import { data, makeTrainer, run } from './run-setup.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'kaun-manager-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

function bits(tree: Ptree.Tree): Record<string, string> {
  return Object.fromEntries(Ptree.flattenWithPaths(tree).map(([p, t]) => {
    const a = nx.toTypedArray(t);
    return [p, Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')];
  }));
}

function child(args: string[]): { proc: ChildProcess; out: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>; onLine(f: (line: string) => void): void } {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
    fileURLToPath(new URL('./fit-child.ts', import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NX_BACKEND: nx.backendInfo().backend } });
  let stdout = '';
  let stderr = '';
  const listeners: Array<(line: string) => void> = [];
  proc.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const line of d.toString().split('\n')) if (line) listeners.forEach((f) => f(line));
  });
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const out = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { proc, out, onLine: (f) => listeners.push(f) };
}

describe('CheckpointManager and fit({ resumeFrom })', () => {
  it('a run killed mid-epoch and resumed equals an uninterrupted run, bit for bit', async () => {
    // the reference: one uninterrupted run in this process
    const refDir = join(dir, 'ref');
    const ref = await run(join(refDir, 'ckpt'), join(refDir, 'log.csv'));
    expect(ref.state.step).toBe(15);
    expect(ref.history['lr']).toEqual([0.02, 0.02, 0.01].map(Math.fround)); // the plateau callback lowered it after epochs 1 and 2

    // run 1: killed while hanging at step 8 (epoch 1, after its third batch); the newest checkpoint is step 6
    const runDir = join(dir, 'killed');
    const first = child([join(runDir, 'ckpt'), join(runDir, 'log.csv'), join(runDir, 'out.safetensors'), '8']);
    first.onLine((line) => { if (line === 'PAUSED') first.proc.kill('SIGKILL'); });
    const r1 = await first.out;
    expect(r1.signal, r1.stderr.slice(-2000)).toBe('SIGKILL');
    const manager = CheckpointManager.make({ dir: join(runDir, 'ckpt') });
    const saved = await manager.list();
    expect(saved.map((e) => e.step)).toEqual([5, 6]); // keepLast 2 (step 5 is also the best so far)
    expect(saved.at(-1)).toMatchObject({ step: 6, epoch: 1, batch: 1, epochEnd: false });

    // run 2: the same command resumes from the newest checkpoint and finishes
    const second = child([join(runDir, 'ckpt'), join(runDir, 'log.csv'), join(runDir, 'out.safetensors'), '-1']);
    const r2 = await second.out;
    expect(r2.code, r2.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(r2.stdout.trim().split('\n').pop()!) as { backend: string; history: Record<string, number[]> };
    expect(result.history).toEqual(ref.history);
    const trainer = makeTrainer();
    const like = Train.makeState(trainer, trainer.model.init({ key: nx.random.key(5) }));
    const { state: resumed } = await Checkpoint.loadTraining(join(runDir, 'out.safetensors'), { like });
    expect(resumed.step).toBe(15);
    expect(bits(resumed.vars.params)).toEqual(bits(ref.state.vars.params));
    expect(bits(resumed.vars.state)).toEqual(bits(ref.state.vars.state));
    expect(bits(resumed.optState)).toEqual(bits(ref.state.optState));
    expect(Optim.hyperparams(resumed.optState)[0]!.values['lr']).toBe(Math.fround(Math.fround(0.01) * 0.5)); // lowered again after the last epoch
    expect(await readFile(join(runDir, 'log.csv'), 'utf8')).toBe(await readFile(join(refDir, 'log.csv'), 'utf8'));
    // no temporary folder left behind by the kill
    expect((await readdir(join(runDir, 'ckpt'))).filter((n) => n.startsWith('.'))).toEqual([]);
    Ptree.dispose([like.vars.params, like.vars.state, like.optState, resumed.vars.params, resumed.vars.state, resumed.optState, ref.state.vars.params, ref.state.vars.state, ref.state.optState]);
  }, 120_000);

  it("resumes early stopping's counters and best variables (restoreBest) and a run stopped by a callback", async () => {
    const trainer = makeTrainer();
    const { train, val } = data();
    const go = (mdir: string, stopAfter: number, resume: boolean) => Train.fit(trainer, Train.makeState(trainer, trainer.model.init({ key: nx.random.key(3) })), train, {
      epochs: 4, validation: val, progress: false, earlyStopping: { monitor: 'val_loss', mode: 'max', patience: 10, restoreBest: true }, // 'max': the best is an early epoch
      callbacks: [{ kind: 'halt', onEpochEnd: ({ epoch, stop }) => { if (epoch === stopAfter) stop(); } }, CheckpointManager.make({ dir: mdir })],
      ...(resume ? { resumeFrom: 'latest' } : {}),
    });
    const straight = await go(join(dir, 'es-a'), -1, false);
    const halted = await go(join(dir, 'es-b'), 1, false); // stops after epoch 1, checkpoint at its end
    expect(halted.history['loss']).toHaveLength(2);
    const resumed = await go(join(dir, 'es-b'), -1, true);
    expect(resumed.history).toEqual(straight.history);
    expect(resumed.bestEpoch).toBe(straight.bestEpoch);
    expect(straight.bestEpoch).toBeLessThan(2); // the best variables were kept before the halt, so the checkpoint must carry them
    expect(bits(resumed.state.vars.params)).toEqual(bits(straight.state.vars.params));
    for (const r of [straight, halted, resumed]) Ptree.dispose([r.state.vars.params, r.state.vars.state, r.state.optState]);
  }, 60_000);

  it('with stepsPerExecution, a run that fails mid-epoch and resumes from its latest checkpoint equals an uninterrupted run', async () => {
    const base = makeTrainer(); // jitted: on the native backend each execution is one graph call
    const trainer = Train.make({ model: base.model, optimizer: base.optimizer, loss: base.loss, metrics: base.metrics, jit: true });
    const { train, val } = data(); // 5 batches an epoch: executions of batches 0-1 and 2-3, then 4 alone
    const seen: number[] = [];
    const go = (mdir: string, failAtStep: number, resume: boolean) => Train.fit(trainer, Train.makeState(trainer, trainer.model.init({ key: nx.random.key(4) }), { key: nx.random.key(8) }), train, {
      epochs: 3, validation: val, progress: false, stepsPerExecution: 2,
      callbacks: [
        { kind: 'crash', onBatchEnd: ({ state: s }) => { seen.push(s.step); if (s.step === failAtStep) throw new Error('the machine went down'); } },
        CheckpointManager.make({ dir: mdir, saveSteps: 2 }),
      ],
      ...(resume ? { resumeFrom: 'latest' } : {}),
    });
    const straight = await go(join(dir, 'spe-a'), -1, false);
    expect(seen).toEqual([2, 4, 5, 7, 9, 10, 12, 14, 15]); // batch hooks at execution boundaries only
    seen.length = 0;
    await expect(go(join(dir, 'spe-b'), 9, false)).rejects.toThrow(/the machine went down/); // inside epoch 1
    const saved = (await readdir(join(dir, 'spe-b'))).filter((f) => !f.startsWith('.'));
    expect(saved.length).toBeGreaterThan(0);
    seen.length = 0;
    const resumed = await go(join(dir, 'spe-b'), -1, true);
    expect(seen[0]).toBeGreaterThan(5); // it went on inside epoch 1, from an execution boundary
    expect(resumed.history).toEqual(straight.history);
    expect(resumed.state.step).toBe(15);
    expect(bits(resumed.state.vars.params)).toEqual(bits(straight.state.vars.params));
    expect(bits(resumed.state.optState)).toEqual(bits(straight.state.optState));
    for (const r of [straight, resumed]) Ptree.dispose([r.state.vars.params, r.state.vars.state, r.state.optState]);
  }, 60_000);

  it('keeps the last K and the best, restores the best at the end, and refuses other callbacks on resume', async () => {
    const trainer = makeTrainer();
    const { train, val } = data();
    const mdir = join(dir, 'best');
    const manager = CheckpointManager.make({ dir: mdir, keepLast: 1, monitor: 'val_loss', mode: 'min', restoreBestAtEnd: true });
    const losses: number[] = [];
    const fit = await Train.fit(trainer, Train.makeState(trainer, trainer.model.init({ key: nx.random.key(1) })), train, {
      epochs: 4, validation: val, callbacks: [{ kind: 'spy', onEpochEnd: ({ logs }) => { losses.push(logs['val_loss']!); } }, manager], progress: false,
    });
    const bestEpoch = losses.indexOf(Math.min(...losses));
    const best = await manager.best();
    expect(best?.step).toBe(5 * (bestEpoch + 1));
    const kept = (await manager.list()).map((e) => e.step);
    expect(kept).toEqual([...new Set([5 * (bestEpoch + 1), 20])].sort((a, b) => a - b));
    // the returned variables are the best checkpoint's
    const like = Train.makeState(trainer, trainer.model.init({ key: nx.random.key(2) }));
    const { state: fromBest } = await Checkpoint.loadTraining(join(best!.path, 'training.safetensors'), { like });
    expect(bits(fit.state.vars.params)).toEqual(bits(fromBest.vars.params));
    expect(Train.evaluate(trainer, fit.state, val)['loss']).toBeCloseTo(Math.min(...losses), 5);
    // resuming with other callbacks is refused, naming both lists
    const again = Train.makeState(trainer, trainer.model.init({ key: nx.random.key(1) }));
    await expect(Train.fit(trainer, again, train, { epochs: 5, callbacks: [manager], resumeFrom: 'latest', progress: false })).rejects.toThrow(/saved with the callbacks \[spy, checkpointManager\] but this run has \[checkpointManager\]/);
    await expect(Train.fit(trainer, Train.makeState(trainer, trainer.model.init({ key: nx.random.key(1) })), train, { resumeFrom: 'latest', progress: false })).rejects.toThrow(CheckpointError);
    expect(() => CheckpointManager.make({ dir: mdir, keeplast: 2 } as never)).toThrow(/did you mean "keepLast"/);
    Ptree.dispose([fit.state.vars.params, fit.state.vars.state, fit.state.optState, like.vars.params, like.vars.state, like.optState, fromBest.vars.params, fromBest.vars.state, fromBest.optState]);
  }, 60_000);
});
