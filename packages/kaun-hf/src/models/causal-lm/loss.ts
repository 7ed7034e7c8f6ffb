/**
 * The causal-LM loss: next-token cross-entropy with labels shifted inside (as transformers'
 * `ForCausalLMLoss`), positions labelled -100 ignored, mean over the predicted tokens.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError, Loss } from '@raven/kaun';
import type { CausalLMOutput } from './types.js';

/** The label transformers ignores in the loss (padding, prompt tokens). */
export const IGNORE_INDEX = -100;

/** Options of {@link loss}. */
export interface LossOptions {
  /** Labels equal to this are not predicted. Default -100. */
  ignoreIndex?: number;
}

const KEYS: nx.OptionKeys<LossOptions> = { ignoreIndex: true };

/**
 * The causal-LM loss of a batch: position `t`'s logits predict label `t + 1` (the shift happens
 * here, as in transformers: pass labels equal to the input ids, with -100 where nothing should be
 * learned, e.g. padding); kaun's `Loss.softmaxCrossEntropy` with `ignoreIndex` averages the
 * cross-entropy over the predicted tokens (labels other than `ignoreIndex` after the shift; NaN
 * when there is none, as PyTorch). Usable directly as `Train.make`'s `loss`.
 * @param output - the model output (`{logits [B, L, V]}`) or the logits.
 * @param labels - `int32 [B, L]`: token ids, or `ignoreIndex`.
 * @param options - see {@link LossOptions}.
 * @returns a scalar.
 * @throws ShapeError or DTypeError for labels that are not int32 `[B, L]` matching the logits;
 *   LabelError for a label outside the vocabulary (and not `ignoreIndex`); OptionError for an unknown option.
 * @example
 * ```ts
 * const trainer = Train.make({ model, optimizer: Optim.adamw({ lr: 5e-4 }), loss: CausalLM.loss });
 * ```
 */
export function loss(output: CausalLMOutput | Tensor, labels: Tensor, options: LossOptions = {}): Tensor {
  const fn = 'CausalLM.loss';
  nx.checkOptions(fn, options, KEYS);
  const logits = nx.isTensor(output) ? output : output?.logits;
  if (!nx.isTensor(logits) || logits.rank !== 3) throw new KaunError(`${fn}: expected the model output {logits [B, L, V]} or the logits, got ${nx.isTensor(logits) ? `[${logits.shape.join(', ')}]` : typeof logits}`);
  const [b, l] = logits.shape as [number, number, number];
  if (!nx.isTensor(labels) || labels.rank !== 2 || labels.shape[0] !== b || labels.shape[1] !== l) {
    throw new nx.ShapeError(`${fn}: labels must be [B, L] = [${b}, ${l}] like the logits' first two axes, got ${nx.isTensor(labels) ? `[${labels.shape.join(', ')}]` : typeof labels}`);
  }
  if (labels.dtype !== 'int32') throw new nx.DTypeError(`${fn}: labels must be int32 token ids, got ${labels.dtype}`);
  const ignore = options.ignoreIndex ?? IGNORE_INDEX;
  if (!Number.isInteger(ignore)) throw new KaunError(`${fn}: ignoreIndex must be an integer, got ${ignore}`);
  return nx.scope(() => {
    // label t + 1 for position t; the last position predicts nothing
    const tail = nx.full([b, 1], ignore, 'int32');
    const shifted = l === 1 ? tail : nx.concatenate([nx.slice(labels, [null, [1, null]]), tail], 1);
    return Loss.softmaxCrossEntropy(logits, shifted, { ignoreIndex: ignore });
  });
}
