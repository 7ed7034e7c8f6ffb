/** Paths and readers of the BERT fixtures (PyTorch references, see each PROVENANCE.md). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';

export const TINY = fileURLToPath(new URL('../../../../../fixtures/bert-tiny', import.meta.url));
export const MINI = fileURLToPath(new URL('../../../../../fixtures/bert-mini-mlm', import.meta.url));

export interface TinyReference {
  input_ids: number[][];
  token_type_ids: number[][];
  attention_mask: number[][];
  last_hidden_state: number[][][];
  pooler_output: number[][];
  logits: number[][];
  labels: number[];
  adamw: {
    lr: number;
    betas: [number, number];
    eps: number;
    weight_decay: number;
    losses: number[];
    first_step_grad_classifier_weight: number[][];
    first_step_grad_word_embeddings_norm: number;
  };
}

export interface MiniReference {
  fill_mask: Array<{ text: string; input_ids: number[]; mask_position: number; top5_ids: number[]; top5_logits: number[]; last_hidden_state_first_token: number[] }>;
}

export const tinyReference = (): TinyReference => JSON.parse(readFileSync(`${TINY}/reference.json`, 'utf8')) as TinyReference;
export const miniReference = (): MiniReference => JSON.parse(readFileSync(`${MINI}/reference.json`, 'utf8')) as MiniReference;

/** The reference batch as int32 tensors. */
export function tinyInputs(ref: TinyReference): { inputIds: nx.Tensor; tokenTypeIds: nx.Tensor; attentionMask: nx.Tensor } {
  return {
    inputIds: nx.fromArray(ref.input_ids, { dtype: 'int32' }),
    tokenTypeIds: nx.fromArray(ref.token_type_ids, { dtype: 'int32' }),
    attentionMask: nx.fromArray(ref.attention_mask, { dtype: 'int32' }),
  };
}

/** Largest absolute difference between a tensor and nested reference numbers (shapes must agree). */
export function maxAbsDiff(t: nx.Tensor, expected: unknown): number {
  const got = Array.from(nx.toTypedArray(t) as Float32Array);
  const want = (expected as unknown[]).flat(Infinity as 1) as unknown as number[];
  if (got.length !== want.length) throw new Error(`size ${got.length} vs reference ${want.length}`);
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m;
}
