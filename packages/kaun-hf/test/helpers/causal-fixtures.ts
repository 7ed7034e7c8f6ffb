/** Paths and readers of the causal-LM fixtures (transformers references, see each PROVENANCE.md). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The three fixtures, by name. */
export const CAUSAL_FIXTURES = ['gpt2-tiny', 'llama-tiny', 'gemma-tiny'] as const;
/** A fixture name. */
export type CausalFixture = (typeof CAUSAL_FIXTURES)[number];

/** The folder of a fixture. */
export const fixtureDir = (name: CausalFixture): string => fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url));

/** reference.json of a fixture. */
export interface CausalReference {
  arch: string;
  prompts: string[];
  prompt_ids: number[][];
  batch: { input_ids: number[][]; attention_mask: number[][] };
  greedy_single: { input_ids: number[][]; max_new_tokens: number; output_ids: number[][]; text: string };
  greedy_batch_left_padded: { input_ids: number[][]; attention_mask: number[][]; max_new_tokens: number; output_ids: number[][] };
  chat?: { messages: Array<{ role: string; content: string }>; text: string };
  adamw: { lr: number; betas: [number, number]; eps: number; weight_decay: number; labels: number[][]; losses: number[] };
}

/** Reads a fixture's reference.json. */
export const causalReference = (name: CausalFixture): CausalReference => JSON.parse(readFileSync(`${fixtureDir(name)}/reference.json`, 'utf8')) as CausalReference;

/** The largest absolute difference between two tensors of one shape. */
export async function maxDiff(a: import('@raven/nx').Tensor, b: import('@raven/nx').Tensor): Promise<number> {
  const nx = await import('@raven/nx');
  return nx.scope(() => nx.item(nx.max(nx.abs(nx.sub(a, b))))) as number;
}
