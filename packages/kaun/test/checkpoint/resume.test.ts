import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as nx from '@raven/nx';
import { Checkpoint, CheckpointKeyError, Layer, Optim, Ptree, Train, Loss } from '@raven/kaun';
import { freshState, makeTrainer, train } from './resume-setup.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'kaun-resume-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const N = 4;
const M = 3;

/** Every leaf's bytes, by path: bit-for-bit comparison (NaN-safe). */
function bits(tree: Ptree.Tree): Record<string, string> {
  return Object.fromEntries(Ptree.flattenWithPaths(tree).map(([p, t]) => {
    const a = nx.toTypedArray(t);
    return [p, Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')];
  }));
}
const disposeState = (s: Train.TrainState) => Ptree.dispose([s.vars.params, s.vars.state, s.optState]);

describe('resuming training from a checkpoint', () => {
  it('N steps, save, load, M steps equals N+M straight steps, bit for bit', async () => {
    const trainer = makeTrainer();
    const straight = train(trainer, freshState(trainer, 1), 0, N + M);

    const first = train(trainer, freshState(trainer, 1), 0, N);
    const path = join(dir, 'run', 'ckpt.safetensors');
    await Checkpoint.saveTraining(path, first, { extras: { epoch: 2 } });
    const header = await nx.io.readSafetensorsHeader(path);
    expect(header.names.some((k) => k.startsWith('state.') && k.endsWith('running_mean'))).toBe(true);
    expect(header.names.some((k) => k.startsWith('opt.'))).toBe(true);
    disposeState(first);

    const like = freshState(trainer, 7); // other values: the load must replace them all
    const { state: restored, extras } = await Checkpoint.loadTraining(path, { like });
    disposeState(like);
    expect(extras).toEqual({ epoch: 2 });
    expect(restored.step).toBe(N);
    expect(restored.key.equals(nx.random.key(101))).toBe(true);
    const resumed = train(trainer, restored, N, N + M);
    expect(resumed.step).toBe(N + M);
    expect(bits(resumed.vars.params)).toEqual(bits(straight.vars.params));
    expect(bits(resumed.vars.state)).toEqual(bits(straight.vars.state));
    expect(bits(resumed.optState)).toEqual(bits(straight.optState));

    // the same, resumed in a fresh process
    const out = join(dir, 'run', 'child.safetensors');
    const child = spawn(process.execPath, ['--conditions=source', '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
      fileURLToPath(new URL('./resume-child.ts', import.meta.url)), path, out, String(N), String(N + M)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NX_BACKEND: nx.backendInfo().backend } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ backend: nx.backendInfo().backend, step: N + M });
    const like2 = freshState(trainer, 8);
    const fromChild = await Checkpoint.loadTraining(out, { like: like2 });
    disposeState(like2);
    expect(fromChild.extras).toEqual({ epoch: 2, child: true });
    expect(bits(fromChild.state.vars.params)).toEqual(bits(straight.vars.params));
    expect(bits(fromChild.state.optState)).toEqual(bits(straight.optState));
    [straight, resumed, fromChild.state].forEach(disposeState);
  }, 60_000);

  it('refuses a checkpoint of another model, naming the key and both shapes', async () => {
    const trainer = makeTrainer();
    const s = freshState(trainer, 1);
    const path = join(dir, 'other.safetensors');
    await Checkpoint.saveTraining(path, s);
    const wider = Train.make({
      model: Layer.sequential([Layer.linear({ inFeatures: 4, outFeatures: 16 }), Layer.batchNorm({ numFeatures: 16 }), Layer.relu(), Layer.dropout({ rate: 0.25 }), Layer.linear({ inFeatures: 16, outFeatures: 3 })]),
      optimizer: Optim.adam({ lr: 0.01 }), loss: Loss.mse,
    });
    const like = Train.makeState(wider, wider.model.init({ key: nx.random.key(0) }));
    const err = await Checkpoint.loadTraining(path, { like }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointKeyError);
    expect((err as Error).message).toMatch(/key "params\.0\.weight" has shape \[8, 4\] in .* but the template expects \[16, 4\]/);
    await expect(Checkpoint.saveTraining(path, s, { extras: { train: 1 } })).rejects.toThrow(/reserved/);
    [s, like].forEach(disposeState);
  });
});
