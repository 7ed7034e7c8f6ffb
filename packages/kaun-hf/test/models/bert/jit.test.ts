/**
 * BERT training steps as one TensorFlow graph (`Train.make({..., jit: true})`, nx.jit), on the
 * native backend (the CI's native leg): the five PyTorch AdamW steps of fixtures/bert-tiny
 * (reference.json, no dropout), and steps with dropout on, where the masks come from the step
 * keys, equal to eager steps. Skipped on wasm and cpu, where jit runs eagerly (tested in kaun).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as nx from '@raven/nx';
import { Optim, Ptree, Train } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';
import { TINY, tinyInputs, tinyReference } from './_fixtures.js';

const native = nx.backendInfo().backend === 'tensorflow';

afterEach(() => { vi.restoreAllMocks(); });

describe.skipIf(!native)('BERT with jitted training steps (bert-tiny; native backend only: graphs need TensorFlow)', { timeout: 120_000 }, () => {
  it('five jitted AdamW steps reproduce PyTorch\'s losses', async () => {
    const ref = tinyReference();
    const { model, vars, config } = await Bert.fromPretrained(TINY, { logger: false, tokenizer: false });
    const trainer = Train.make({
      model: { init: (o) => model.init(o), apply: (v, x: ReturnType<typeof tinyInputs>, o) => ({ y: model.apply(v, x, { ...o, training: false }).y.logits, state: v.state }) },
      optimizer: Optim.adamw({ lr: ref.adamw.lr, b1: ref.adamw.betas[0], b2: ref.adamw.betas[1], eps: ref.adamw.eps, weightDecay: ref.adamw.weight_decay }),
      loss: (logits: nx.Tensor, t: nx.Tensor) => Bert.sequenceClassificationLoss(config, logits, t),
      jit: true,
    });
    let state = Train.makeState(trainer, vars);
    const batch = { x: tinyInputs(ref), y: nx.fromArray(ref.labels, { dtype: 'int32' }) };
    const losses: number[] = [];
    let counted = 0;
    for (let step = 0; step < 5; step++) {
      const r = Train.step(trainer, state, batch);
      state = r.state;
      losses.push(nx.item(r.loss) as number);
      r.loss.dispose();
      if (step === 1) counted = nx.memory().numTensors;
      if (step > 1) expect(nx.memory().numTensors).toBe(counted);
    }
    for (let i = 0; i < 5; i++) expect(Math.abs(losses[i]! - ref.adamw.losses[i]!)).toBeLessThan(1e-4);
    nx.dispose([state.vars.params, state.optState, batch]);
  });

  it('with dropout on, jitted steps equal eager steps (the masks come from the step keys)', async () => {
    const ref = tinyReference();
    const { model, vars, config } = await Bert.fromPretrained(TINY, { logger: false, tokenizer: false });
    expect(config.hidden_dropout_prob).toBeGreaterThan(0);
    const make = (jit: boolean) => Train.make({
      model: { init: (o) => model.init(o), apply: (v, x: ReturnType<typeof tinyInputs>, o) => ({ y: model.apply(v, x, o).y.logits, state: v.state }) },
      optimizer: Optim.adamw({ lr: 1e-3, weightDecay: 0.01 }),
      loss: (logits: nx.Tensor, t: nx.Tensor) => Bert.sequenceClassificationLoss(config, logits, t),
      jit,
    });
    const te = make(false);
    const tj = make(true);
    let se = Train.makeState(te, { ...vars, params: Ptree.map(vars.params, (t) => nx.copy(t)) });
    let sj = Train.makeState(tj, vars);
    const batch = { x: tinyInputs(ref), y: nx.fromArray(ref.labels, { dtype: 'int32' }) };
    for (let step = 0; step < 4; step++) {
      const re = Train.step(te, se, batch);
      const rj = Train.step(tj, sj, batch);
      se = re.state;
      sj = rj.state;
      expect(Math.abs((nx.item(re.loss) as number) - (nx.item(rj.loss) as number))).toBeLessThan(1e-5);
      nx.dispose([re.loss, rj.loss]);
    }
    const le = Ptree.leaves(se.vars.params);
    const lj = Ptree.leaves(sj.vars.params);
    const worst = Math.max(...le.map((t, i) => nx.item(nx.scope(() => nx.max(nx.abs(nx.sub(t, lj[i]!))))) as number));
    expect(worst).toBeLessThan(1e-5);
    nx.dispose([se.vars.params, se.optState, sj.vars.params, sj.optState, batch]);
  });
});
