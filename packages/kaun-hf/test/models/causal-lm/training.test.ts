// Fine-tuning: text datasets (packing and padding) checked by hand against the tokenizer,
// Train.fit lowering the loss of a causal LM, and resuming from a training checkpoint giving the
// same parameters as training straight through.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Checkpoint, Optim, Ptree, Train } from '@raven/kaun';
import { CausalLM, type Tokenizer } from '@raven/kaun-hf';
import { fixtureDir, maxDiff } from '../../helpers/causal-fixtures.js';
import { scratchDirs } from '../../helpers/temp.js';

const scratch = scratchDirs('kaun-hf-causal-train-');
const TEXTS = [
  'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse,',
  'and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.',
  'It is a way I have of driving off the spleen, and regulating the circulation.',
  'Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul;',
];

async function llama(): Promise<CausalLM.Pretrained & { tokenizer: Tokenizer }> {
  return (await CausalLM.fromPretrained(fixtureDir('llama-tiny'), { logger: false })) as CausalLM.Pretrained & { tokenizer: Tokenizer };
}

describe('CausalLM.textDataset', () => {
  it('packs texts (BOS as the tokenizer adds it, EOS after each) into full blocks', async () => {
    const { tokenizer, vars } = await llama();
    const stream = TEXTS.flatMap((t) => [...tokenizer.encode(t).ids, tokenizer.eosTokenId!]);
    const block = 16;
    const rows = Math.floor(stream.length / block);
    const source = CausalLM.textDataset(tokenizer, TEXTS, { blockSize: block });
    expect(source.length).toBe(rows);
    const [batch] = [...source.batch(rows)];
    expect(nx.toArray(batch!.inputIds)).toEqual(Array.from({ length: rows }, (_, r) => stream.slice(r * block, (r + 1) * block)));
    expect(nx.toArray(batch!.labels)).toEqual(nx.toArray(batch!.inputIds));
    expect(new Set((nx.toArray(batch!.attentionMask) as number[][]).flat())).toEqual(new Set([1]));
    nx.dispose([batch, vars.params]);
  });

  it('pads one text per row (labels -100 and mask 0 on padding, long texts cut)', async () => {
    const { tokenizer, vars } = await llama();
    const source = CausalLM.textDataset(tokenizer, ['The whale', TEXTS[0]!], { blockSize: 8, packing: false });
    const [batch] = [...source.batch(2).map(CausalLM.toTrainBatch)];
    const short = tokenizer.encode('The whale').ids;
    const pad = tokenizer.eosTokenId!; // llama-tiny has no pad token
    expect(nx.toArray(batch!.x.inputIds)).toEqual([[...short, ...new Array(8 - short.length).fill(pad)], tokenizer.encode(TEXTS[0]!).ids.slice(0, 8)]);
    expect(nx.toArray(batch!.x.attentionMask!)).toEqual([[...short.map(() => 1), ...new Array(8 - short.length).fill(0)], new Array(8).fill(1)]);
    expect((nx.toArray(batch!.y) as number[][])[0]).toEqual([...short, ...new Array(8 - short.length).fill(-100)]);
    expect(() => CausalLM.textDataset(tokenizer, ['a'], { blockSize: 64 })).toThrow(/fewer than one block of 64/);
    expect(() => CausalLM.textDataset(tokenizer, ['a'], { blockSize: 1 })).toThrow(/blockSize must be an integer >= 2/);
    nx.dispose([batch, vars.params]);
  });
});

describe('fine-tuning', () => {
  it('Train.fit lowers the causal-LM loss; the loss ignores padding exactly', async () => {
    const { model, vars, tokenizer } = await llama();
    const data = CausalLM.textDataset(tokenizer, TEXTS, { blockSize: 16 }).shuffle(nx.random.key(0)).batch(4).map(CausalLM.toTrainBatch);
    const trainer = Train.make({ model, optimizer: Optim.adamw({ lr: 3e-3 }), loss: CausalLM.loss });
    const { state, history } = await Train.fit(trainer, Train.makeState(trainer, vars), data, { epochs: 8, progress: false });
    expect(history['loss']![7]!).toBeLessThan(history['loss']![0]! * 0.8);
    // padding changes nothing: the loss of a padded row equals that of the row alone
    const ids = tokenizer.encode('The whale').ids;
    const alone = CausalLM.loss(model.apply(state.vars, { inputIds: nx.fromArray([ids], { dtype: 'int32' }) }).y, nx.fromArray([ids], { dtype: 'int32' }));
    const padded = [...ids, 1, 1, 1];
    const mask = [...ids.map(() => 1), 0, 0, 0];
    const withPad = CausalLM.loss(
      model.apply(state.vars, { inputIds: nx.fromArray([padded], { dtype: 'int32' }), attentionMask: nx.fromArray([mask], { dtype: 'int32' }) }).y,
      nx.fromArray([[...ids, -100, -100, -100]], { dtype: 'int32' }),
    );
    expect(Math.abs((nx.item(alone) as number) - (nx.item(withPad) as number))).toBeLessThan(1e-6);
    nx.dispose([state.vars.params, state.optState]);
  });

  it('resumes from a training checkpoint exactly: 2 steps, save, load, 2 steps = 4 steps', async () => {
    const { model, tokenizer, vars } = await llama();
    const batches = [...CausalLM.textDataset(tokenizer, TEXTS, { blockSize: 16 }).batch(2).map(CausalLM.toTrainBatch)];
    const trainer = Train.make({ model, optimizer: Optim.adamw({ lr: 1e-3 }), loss: CausalLM.loss });
    const copy = (): typeof vars => ({ ...vars, params: Ptree.map(vars.params, (t) => nx.copy(t)) });
    const run = (state: Train.TrainState, from: number, to: number): Train.TrainState => {
      for (let i = from; i < to; i++) {
        const r = Train.step(trainer, state, batches[i % batches.length]!);
        r.loss.dispose();
        state = r.state;
      }
      return state;
    };
    const straight = run(Train.makeState(trainer, copy()), 0, 4);
    const half = run(Train.makeState(trainer, copy()), 0, 2);
    const file = join(scratch(), 'ckpt.safetensors');
    await Checkpoint.saveTraining(file, half);
    const like = Train.makeState(trainer, copy());
    const { state: loaded } = await Checkpoint.loadTraining(file, { like });
    const resumed = run(loaded, 2, 4);
    const a = Ptree.flattenWithPaths(straight.vars.params);
    const b = new Map(Ptree.flattenWithPaths(resumed.vars.params));
    for (const [k, t] of a) expect([k, await maxDiff(t, b.get(k)!)]).toEqual([k, 0]);
    nx.dispose([batches, vars.params, straight, half, like, resumed]);
  });
});
