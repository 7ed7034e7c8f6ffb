// The three causal-LM fixtures against transformers 5.18 (reference.json and
// reference-logits.safetensors, written by transformers itself; see each PROVENANCE.md): logits of
// a right-padded batch within 1e-4, greedy generations identical (one prompt, and a left-padded
// batch), chat text identical, and three AdamW steps of the causal-LM loss within 1e-4, through
// Train.step as any model trains.
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Optim, Train } from '@raven/kaun';
import { CausalLM } from '@raven/kaun-hf';
import { CAUSAL_FIXTURES, causalReference, fixtureDir, maxDiff } from '../../helpers/causal-fixtures.js';

const int32 = (rows: number[][]): nx.Tensor => nx.fromArray(rows, { dtype: 'int32' });

describe.each(CAUSAL_FIXTURES)('%s against transformers', (name) => {
  const ref = causalReference(name);
  const dir = fixtureDir(name);

  it('loads with nothing fresh or unused, and the batch logits are within 1e-4', async () => {
    const { model, vars, report } = await CausalLM.fromPretrained(dir, { logger: false, tokenizer: false });
    expect(report).toEqual({ newlyInitialized: [], unused: [], mismatched: [] });
    const { tensors } = await nx.io.loadSafetensors(`${dir}/reference-logits.safetensors`);
    const want = new Map(tensors).get('batch_logits')!;
    const inputIds = int32(ref.batch.input_ids);
    const attentionMask = int32(ref.batch.attention_mask);
    const { y } = model.apply(vars, { inputIds, attentionMask });
    expect(y.logits.shape).toEqual(want.shape);
    const diff = await maxDiff(y.logits, want);
    console.log(`[parity] ${name} ${nx.backendInfo().backend}: logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    nx.dispose([y, want, inputIds, attentionMask, vars.params]);
  });

  it('greedy generation gives transformers\' tokens and text, one prompt and a left-padded batch', async () => {
    const { model, vars, tokenizer } = await CausalLM.fromPretrained(dir, { logger: false });
    const single = await CausalLM.generate(model, vars, ref.prompts[0]!, { tokenizer, maxNewTokens: ref.greedy_single.max_new_tokens });
    expect(single.sequences).toEqual(ref.greedy_single.output_ids);
    expect(tokenizer!.decode(single.sequences[0]!, { skipSpecialTokens: true })).toBe(ref.greedy_single.text);
    const b = ref.greedy_batch_left_padded;
    const inputIds = int32(b.input_ids);
    const attentionMask = int32(b.attention_mask);
    const batch = await CausalLM.generate(model, vars, { inputIds, attentionMask }, { maxNewTokens: b.max_new_tokens });
    expect(batch.sequences).toEqual(b.output_ids);
    // the same from the texts: generate left-pads them itself
    const fromText = await CausalLM.generate(model, vars, ref.prompts, { tokenizer, maxNewTokens: b.max_new_tokens });
    expect(fromText.sequences).toEqual(b.output_ids);
    nx.dispose([inputIds, attentionMask, vars.params]);
  });

  it('three AdamW steps of the causal-LM loss give transformers\' losses within 1e-4', async () => {
    const { model, vars } = await CausalLM.fromPretrained(dir, { logger: false, tokenizer: false });
    const a = ref.adamw;
    const optimizer = Optim.adamw({ lr: a.lr, b1: a.betas[0], b2: a.betas[1], eps: a.eps, weightDecay: a.weight_decay });
    const trainer = Train.make({ model, optimizer, loss: CausalLM.loss });
    let state = Train.makeState(trainer, vars);
    const batch = { x: { inputIds: int32(ref.batch.input_ids), attentionMask: int32(ref.batch.attention_mask) }, y: int32(a.labels) };
    const losses: number[] = [];
    let live = 0;
    for (let i = 0; i < a.losses.length; i++) {
      const r = Train.step(trainer, state, batch);
      state = r.state;
      losses.push(nx.item(r.loss) as number);
      r.loss.dispose();
      if (i === 0) live = nx.memory().numTensors;
      else expect(nx.memory().numTensors).toBe(live);
    }
    const diff = Math.max(...losses.map((l, i) => Math.abs(l - a.losses[i]!)));
    console.log(`[parity] ${name} ${nx.backendInfo().backend}: AdamW losses max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    nx.dispose([batch, state.vars.params, state.optState]);
  });
});

describe.each(['llama-tiny', 'gemma-tiny'] as const)('%s chat template', (name) => {
  it('renders the conversation as transformers does', async () => {
    const ref = causalReference(name);
    const { tokenizer, vars } = await CausalLM.fromPretrained(fixtureDir(name), { logger: false });
    expect(tokenizer!.applyChatTemplate(ref.chat!.messages, { addGenerationPrompt: true })).toBe(ref.chat!.text);
    nx.dispose(vars.params);
  });
});
