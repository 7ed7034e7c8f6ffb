/**
 * Next-token choice on the host, as transformers' logits processors and warpers do it: the
 * repetition penalty, then (when sampling) temperature, top-k and top-p, then a draw from the
 * softmax with an nx key; greedy decoding takes the arg max (the first on ties, as `argmax`).
 * @module
 */

/** How the next token is chosen (all fields already validated). @internal */
export interface TokenChoice {
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
}

/**
 * transformers' `RepetitionPenaltyLogitsProcessor`: the score of every id in `seen` (prompt,
 * padding included, and generated tokens) is divided by `penalty` when positive, multiplied when
 * negative. In place. @internal
 */
export function applyRepetitionPenalty(scores: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  const done = new Set<number>();
  for (const id of seen) {
    if (done.has(id)) continue;
    done.add(id);
    const s = scores[id]!;
    scores[id] = s < 0 ? s * penalty : s / penalty;
  }
}

/** transformers' `TopKLogitsWarper`: scores below the `k`-th largest become -Infinity (ties kept). In place. @internal */
export function applyTopK(scores: Float32Array, k: number): void {
  if (k <= 0 || k >= scores.length) return;
  const sorted = Float32Array.from(scores).sort();
  const kth = sorted[sorted.length - k]!;
  for (let i = 0; i < scores.length; i++) if (scores[i]! < kth) scores[i] = -Infinity;
}

/**
 * transformers' `TopPLogitsWarper`: sorted ascending, tokens whose cumulative probability is at
 * most `1 - p` become -Infinity; the most likely token always stays. In place. @internal
 */
export function applyTopP(scores: Float32Array, p: number): void {
  if (p >= 1) return;
  // tokens already at -Infinity have probability 0 and stay removed: sort only the others
  const order: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i] !== -Infinity) order.push(i);
  order.sort((a, b) => scores[a]! - scores[b]! || a - b);
  const probs = softmax(Float32Array.from(order, (i) => scores[i]!));
  let cum = 0;
  for (let j = 0; j < order.length - 1; j++) {
    cum += probs[j]!;
    if (cum <= 1 - p) scores[order[j]!] = -Infinity;
    else break;
  }
}

/** Softmax in float64 (a row of -Infinity but one is fine). @internal */
export function softmax(scores: Float32Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const e = scores[i] === -Infinity ? 0 : Math.exp(scores[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** The index of the largest score, the first on ties. @internal */
export function argmax(scores: Float32Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}

/**
 * The next token of one row: repetition penalty over `seen`, then greedy or sampled with the
 * uniform number `u` in [0, 1). `scores` is modified. @internal
 */
export function chooseToken(scores: Float32Array, seen: Iterable<number>, choice: TokenChoice, u: number): number {
  applyRepetitionPenalty(scores, seen, choice.repetitionPenalty);
  if (!choice.doSample) return argmax(scores);
  if (choice.temperature !== 1) for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / choice.temperature;
  applyTopK(scores, choice.topK);
  applyTopP(scores, choice.topP);
  const probs = softmax(scores);
  let cum = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    last = i;
    cum += probs[i]!;
    if (u < cum) return i;
  }
  return last; // rounding left u above the total
}
