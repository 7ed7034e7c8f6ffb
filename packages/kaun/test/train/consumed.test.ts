// A TrainState used after Train.fit or Train.step consumed it, or variables applied after they
// were freed, are errors that name the entry point, the variable's path, shape and dtype, and say
// to use the returned state, instead of a TypeError from inside TF.js.
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Data, Layer, Loss, Optim, Ptree, Train } from '@raven/kaun';

function setup() {
  const model = Layer.sequential([Layer.linear({ inFeatures: 2, outFeatures: 3 }), Layer.relu(), Layer.linear({ inFeatures: 3, outFeatures: 1 })]);
  const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 0.01 }), loss: Loss.mse });
  const vars = model.init({ key: nx.random.key(0) });
  const data = Data.fromArrays({ x: { data: new Float32Array(16).map((_, i) => i / 16), shape: [8, 2] }, y: { data: new Float32Array(8), shape: [8, 1] } }).batch(4);
  return { model, trainer, vars, data };
}

async function rejected(p: Promise<unknown>): Promise<nx.DisposedTensorError> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => { expect(e, String(e)).toBeInstanceOf(nx.DisposedTensorError); return e as nx.DisposedTensorError; });
}
function thrown(f: () => unknown): nx.DisposedTensorError {
  try { f(); } catch (e) { expect(e, String(e)).toBeInstanceOf(nx.DisposedTensorError); return e as nx.DisposedTensorError; }
  throw new Error('expected an error');
}

describe('a consumed TrainState', () => {
  it('Train.fit twice with the same state: the second names the consumed state and says to use the returned one', async () => {
    const { trainer, vars, data } = setup();
    const state = Train.makeState(trainer, vars);
    const { state: trained } = await Train.fit(trainer, state, data, { epochs: 1, progress: false });
    const e = await rejected(Train.fit(trainer, state, data, { epochs: 1, progress: false }));
    expect(e.message).toMatch(/^Train\.fit: argument state\.vars\.params\.0\.weight \(shape \[3, 2\], dtype float32\) has been disposed\. This TrainState was consumed: .*Use the state they return/);
    expect([e.where, e.argument, e.shape, e.dtype]).toEqual(['Train.fit', 'state.vars.params.0.weight', [3, 2], 'float32']);
    // the returned state works
    const again = await Train.fit(trainer, trained, data, { epochs: 1, progress: false });
    Ptree.dispose([again.state.vars.params, again.state.optState]);
  });

  it('Train.step, Train.evaluate and Train.predict with a consumed state, and no tensor leaks', () => {
    const { trainer, vars, data } = setup();
    const state = Train.makeState(trainer, vars);
    const batch = { x: nx.ones([4, 2]), y: nx.zeros([4, 1]) };
    const r = Train.step(trainer, state, batch);
    nx.dispose(r.loss);
    const before = nx.memory().numTensors;
    expect(thrown(() => Train.step(trainer, state, batch)).message).toMatch(/^Train\.step: argument state\.vars\.params\.0\.weight .* This TrainState was consumed/);
    expect(thrown(() => Train.evaluate(trainer, state, data)).where).toBe('Train.evaluate');
    expect(thrown(() => Train.predict(trainer, state, batch.x)).where).toBe('Train.predict');
    expect(nx.memory().numTensors).toBe(before);
    Ptree.dispose([r.state.vars.params, r.state.optState, batch]);
  });

  it('an optimizer state freed by hand is named by its path', () => {
    const { trainer, vars } = setup();
    const state = Train.makeState(trainer, vars);
    const first = Ptree.flattenWithPaths(state.optState)[0]!;
    first[1].dispose();
    const e = thrown(() => Train.step(trainer, state, { x: nx.ones([1, 2]), y: nx.zeros([1, 1]) }));
    expect(e.argument).toBe(`state.optState.${first[0]}`);
    Ptree.dispose([state.vars.params, state.optState]);
  });
});

describe('freed variables applied to a layer', () => {
  it('layer.apply with freed params names the layer and the variable', () => {
    const { model, vars } = setup();
    Ptree.dispose(vars.params);
    const e = thrown(() => model.apply(vars, nx.ones([1, 2])));
    expect(e.message).toMatch(/^Layer\.linear: apply: variable weight \(shape \[3, 2\], dtype float32\) has been disposed\. The variables given to apply were freed/);
    const single = Layer.linear({ inFeatures: 2, outFeatures: 2 });
    const v = single.init({ key: nx.random.key(1) });
    (v.params as { bias: nx.Tensor }).bias.dispose();
    expect(thrown(() => single.apply(v, nx.ones([1, 2]))).argument).toBe('bias');
    Ptree.dispose(v.params);
  });
});
