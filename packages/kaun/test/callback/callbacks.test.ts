/**
 * Built-in callbacks: the plateau rule against Keras' ReduceLROnPlateau semantics written out,
 * the CSV/JSONL loggers, and TensorBoard files read back by independent readers (TensorFlow's
 * own `summary_iterator` when Python and TensorFlow are available, and protobufjs with the
 * `event.proto`/`summary.proto` schema plus a bitwise CRC32C written here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import * as nx from '@raven/nx';
import { Callback, Data, Layer, Loss, Metric, Optim, Ptree, Train } from '@raven/kaun';
import { python, pythonHas, runPython } from '../_fixtures/python.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'kaun-callbacks-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

function toyFit(callbacks: Train.Callbacks[], epochs = 3, optimizer?: Optim.Optimizer) {
  const model = Layer.sequential([Layer.linear({ inFeatures: 2, outFeatures: 8 }), Layer.relu(), Layer.linear({ inFeatures: 8, outFeatures: 2 })]);
  const x = nx.random.normalArray(nx.random.key(1), 64);
  const y = Int32Array.from({ length: 32 }, (_, i) => (x[2 * i]! > 0 ? 1 : 0));
  const train = Data.fromArrays({ x: { data: x, shape: [32, 2] }, y }).batch(8);
  const trainer = Train.make({ model, optimizer: optimizer ?? Optim.injectHyperparams((h) => Optim.adam({ lr: h.lr }), { lr: 0.05 }), loss: Loss.softmaxCrossEntropy, metrics: { accuracy: Metric.accuracy } });
  return Train.fit(trainer, Train.makeState(trainer, model.init({ key: nx.random.key(0) })), train, { epochs, validation: train, callbacks, progress: false });
}

describe('Callback.reduceLROnPlateau', () => {
  it("follows Keras' rules: patience, minDelta, cooldown, minLr", () => {
    const cb = Callback.reduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2, minDelta: 0.01, cooldown: 1, minLr: 0.3 });
    const opt = Optim.injectHyperparams((h) => Optim.sgd({ lr: h.lr }), { lr: 1 });
    let state: Train.TrainState = { vars: { params: { w: nx.zeros([1]) }, state: {}, dtype: 'float32' }, optState: opt.init({ w: nx.zeros([1]) }), step: 0, key: nx.random.key(0) };
    // Keras, written out: improvement means < best - minDelta; after `patience` epochs without one,
    // lr = max(lr * factor, minLr), then `cooldown` epochs during which wait stays 0
    const series = [1.0, 0.995, 0.99, 0.98, 0.98, 0.98, 0.98, 0.98, 0.98];
    const expectedLr = [1, 1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3]; // the rate each epoch ran with (0.25 clipped to minLr)
    const seen: number[] = [];
    series.forEach((v, epoch) => {
      const logs: Record<string, number> = { val_loss: v };
      void cb.onEpochEnd!({ epoch, logs, state, seconds: 0, samples: 0, stop: () => undefined, setState: (s) => { state = s; }, position: () => { throw new Error('unused'); } });
      seen.push(logs['lr']!);
    });
    expect(seen).toEqual(expectedLr.map(Math.fround));
    expect(() => Callback.reduceLROnPlateau({ factor: 1 })).toThrow(/factor must be in \(0, 1\)/);
    expect(() => Callback.reduceLROnPlateau({ patince: 1 } as never)).toThrow(/did you mean "patience"/);
  });

  it('lowers the rate inside fit, and says how to inject it when the optimizer has none', async () => {
    const r = await toyFit([Callback.reduceLROnPlateau({ monitor: 'loss', patience: 0, minDelta: 100, factor: 0.5 })]);
    expect(r.history['lr']).toEqual([0.05, 0.05, 0.025].map(Math.fround)); // epoch 0 improves on +inf; then every epoch is a plateau
    await expect(toyFit([Callback.reduceLROnPlateau({ monitor: 'loss' })], 1, Optim.adam())).rejects.toThrow(/Optim.injectHyperparams/);
  });
});

describe('memory', () => {
  it('fit with every built-in callback and a checkpoint manager leaves no tensor behind', async () => {
    const before = nx.memory().numTensors;
    const { CheckpointManager } = await import('@raven/kaun');
    const r = await toyFit([
      Callback.reduceLROnPlateau({ monitor: 'loss', patience: 0, minDelta: 100 }), Callback.learningRate(),
      Callback.csvLogger(join(dir, 'm.csv')), Callback.jsonlLogger(join(dir, 'm.jsonl'), { everySteps: 2 }), Callback.tensorBoard(join(dir, 'm-tb'), { updateFreq: 2 }),
      CheckpointManager.make({ dir: join(dir, 'm-ckpt'), saveSteps: 3, keepLast: 1 }),
    ], 4);
    Ptree.dispose([r.state.vars.params, r.state.vars.state, r.state.optState]);
    expect(nx.memory().numTensors).toBe(before);
  });
});

describe('loggers', () => {
  it('csvLogger writes a Keras-style CSV; jsonlLogger one JSON object per epoch and per N steps', async () => {
    const csv = join(dir, 'log.csv');
    const jsonl = join(dir, 'log.jsonl');
    const schedule = Optim.Schedule.linear({ init: 0.1, end: 0, steps: 12 });
    const r = await toyFit([Callback.learningRate({ schedule }), Callback.csvLogger(csv), Callback.jsonlLogger(jsonl, { everySteps: 4 })], 3, Optim.sgd({ lr: schedule }));
    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('epoch,accuracy,loss,lr,val_accuracy,val_loss');
    expect(lines).toHaveLength(4);
    const row1 = lines[2]!.split(',').map(Number);
    expect(row1[0]).toBe(1);
    expect(row1[2]).toBe(r.history['loss']![1]);
    expect(row1[3]).toBeCloseTo(schedule(7), 12); // the rate of epoch 1's last update (steps 4..7)
    const objs = (await readFile(jsonl, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(objs.filter((o) => 'val_loss' in o).map((o) => o['step'])).toEqual([4, 8, 12]);
    expect(objs.filter((o) => !('val_loss' in o)).map((o) => o['step'])).toEqual([4, 8, 12]);
    expect(objs.find((o) => 'val_loss' in o)).toEqual({ epoch: 0, step: 4, ...Object.fromEntries(Object.entries(r.history).map(([k, v]) => [k, v[0]])) });
  });
});

// tensorflow/core/util/event.proto and core/framework/summary.proto, the fields used
const EVENT_PROTO = `
syntax = "proto3";
package tensorflow;
message SummaryMetadata { message PluginData { string plugin_name = 1; bytes content = 2; } PluginData plugin_data = 1; string display_name = 2; string summary_description = 3; }
message Summary {
  message Value { string node_name = 7; string tag = 1; SummaryMetadata metadata = 9; oneof value { float simple_value = 2; bytes obsolete_old_style_histogram = 3; } }
  repeated Value value = 1;
}
message Event { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; bytes graph_def = 4; Summary summary = 5; } }
`;

/** CRC-32C bit by bit (no table), independent of the writer's. */
function crc32cBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

function readRecords(buf: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < buf.length) {
    const len = Number(buf.readBigUInt64LE(off));
    expect(buf.readUInt32LE(off + 8)).toBe(mask(crc32cBitwise(buf.subarray(off, off + 8))));
    const data = buf.subarray(off + 12, off + 12 + len);
    expect(buf.readUInt32LE(off + 12 + len)).toBe(mask(crc32cBitwise(data)));
    out.push(new Uint8Array(data));
    off += 16 + len;
  }
  return out;
}


describe('Callback.tensorBoard', () => {
  it('CRC32C of the standard check string', () => {
    expect(crc32cBitwise(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('writes event files that protobufjs decodes and TensorFlow reads (train/ and validation/)', async () => {
    const logDir = join(dir, 'tb');
    const r = await toyFit([Callback.learningRate(), Callback.tensorBoard(logDir, { updateFreq: 2 })]);
    const Event = protobuf.parse(EVENT_PROTO).root.lookupType('tensorflow.Event');
    const read = async (sub: string) => {
      const files = await readdir(join(logDir, sub));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\..+\.v2$/);
      const path = join(logDir, sub, files[0]!);
      const events = readRecords(await readFile(path)).map((b) => Event.toObject(Event.decode(b), { longs: Number }) as { step?: number; fileVersion?: string; summary?: { value: Array<{ tag: string; simpleValue: number }> } });
      return { path, events };
    };
    const train = await read('train');
    const val = await read('validation');
    expect(train.events[0]!.fileVersion).toBe('brain.Event:2');
    const scalars = (evs: typeof train.events, tag: string) => evs.flatMap((e) => (e.summary?.value ?? []).filter((v) => v.tag === tag).map((v) => [e.step ?? 0, v.simpleValue]));
    expect(scalars(train.events, 'epoch_loss')).toEqual(r.history['loss']!.map((v, i) => [i, Math.fround(v)]));
    expect(scalars(train.events, 'epoch_lr')).toEqual(r.history['lr']!.map((v, i) => [i, Math.fround(v)]));
    expect(scalars(val.events, 'epoch_accuracy')).toEqual(r.history['val_accuracy']!.map((v, i) => [i, Math.fround(v)]));
    expect(scalars(train.events, 'batch_loss').map(([s]) => s)).toEqual([2, 4, 6, 8, 10, 12]);

    if (!(await pythonHas('tensorflow'))) {
      console.warn(`skipped the TensorFlow reader: ${python} cannot import tensorflow (set RAVEN_PYTHON)`);
      return;
    }
    const script = `
import json, sys
import tensorflow as tf
out = []
for e in tf.compat.v1.train.summary_iterator(sys.argv[1]):
    for v in e.summary.value:
        out.append([int(e.step), v.tag, float(v.simple_value)])
print(json.dumps(out))`;
    const py = await runPython(script, [train.path]);
    expect(py.status, py.stderr).toBe(0);
    const fromTf = JSON.parse(py.stdout.trim().split('\n').pop()!) as Array<[number, string, number]>;
    expect(fromTf.filter(([, t]) => t === 'epoch_loss').map(([s, , v]) => [s, v])).toEqual(r.history['loss']!.map((v, i) => [i, Math.fround(v)]));
    expect(fromTf.filter(([, t]) => t === 'batch_loss')).toHaveLength(6);
  });
});

