// Causal-LM training steps as one TensorFlow graph (`Train.make({..., jit: true})`, nx.jit), on
// the native backend (the CI's native leg): the three AdamW steps of each fixture's
// reference.json (written by transformers; no dropout) within 1e-4, as the eager steps are, and
// jitted steps equal to eager ones with the tensor count flat. Skipped on wasm and cpu, where
// jit runs eagerly (tested in kaun).
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as nx from '@raven/nx';
import { Optim, Ptree, Train } from '@raven/kaun';
import { CausalLM } from '@raven/kaun-hf';
import { CAUSAL_FIXTURES, causalReference, fixtureDir } from '../../helpers/causal-fixtures.js';

const native = nx.backendInfo().backend === 'tensorflow';
const int32 = (rows: number[][]): nx.Tensor => nx.fromArray(rows, { dtype: 'int32' });

afterEach(() => { vi.restoreAllMocks(); });

describe.skipIf(!native).each(CAUSAL_FIXTURES)('%s with jitted training steps (native backend only: graphs need TensorFlow)', (name) => {
  it('three jitted AdamW steps give transformers\' losses within 1e-4, and equal the eager steps', async () => {
    const ref = causalReference(name);
    const a = ref.adamw;
    const { model, vars } = await CausalLM.fromPretrained(fixtureDir(name), { logger: false, tokenizer: false });
    const optimizer = Optim.adamw({ lr: a.lr, b1: a.betas[0], b2: a.betas[1], eps: a.eps, weightDecay: a.weight_decay });
    const tj = Train.make({ model, optimizer, loss: CausalLM.loss, jit: true });
    const te = Train.make({ model, optimizer, loss: CausalLM.loss });
    let sj = Train.makeState(tj, vars);
    let se = Train.makeState(te, { ...vars, params: Ptree.map(vars.params, (t) => nx.copy(t)) });
    const batch = { x: { inputIds: int32(ref.batch.input_ids), attentionMask: int32(ref.batch.attention_mask) }, y: int32(a.labels) };
    const losses: number[] = [];
    let live = 0;
    for (let i = 0; i < a.losses.length; i++) {
      const rj = Train.step(tj, sj, batch);
      const re = Train.step(te, se, batch);
      sj = rj.state;
      se = re.state;
      losses.push(nx.item(rj.loss) as number);
      expect(Math.abs(losses[i]! - (nx.item(re.loss) as number))).toBeLessThan(1e-5);
      nx.dispose([rj.loss, re.loss]);
      if (i === 0) live = nx.memory().numTensors;
      else expect(nx.memory().numTensors).toBe(live);
    }
    expect(Math.max(...losses.map((l, i) => Math.abs(l - a.losses[i]!)))).toBeLessThan(1e-4);
    // the trained models agree: their losses on the batch (parameters themselves may differ by up
    // to lr where a gradient is near Adam's eps, from float rounding in either order of the sums)
    const after = (s: Train.TrainState): number => nx.item(nx.scope(() => CausalLM.loss(model.apply(s.vars, batch.x).y, batch.y))) as number;
    expect(Math.abs(after(sj) - after(se))).toBeLessThan(1e-5);
    nx.dispose([batch, sj.vars.params, sj.optState, se.vars.params, se.optState]);
  });
});
