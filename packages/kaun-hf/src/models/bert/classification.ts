/**
 * BertForSequenceClassification: BertModel under `bert.`, dropout and a Linear `classifier`
 * on the pooled output; the loss transformers picks from `problem_type`, `num_labels` and the
 * labels' dtype.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError, Loss } from '@raven/kaun';
import { block } from '../common/block.js';
import type { BertConfig, ProblemType } from './config.js';
import { bertLinear } from './attention.js';
import { type BertInputs, type BertLayer, type BertModelOutput, bertDescriptor, bertModel } from './model.js';
import { dropout, siteKey } from '../common/ops.js';

/** Inputs of the sequence classifier: {@link BertInputs} and, optionally, labels for the loss. */
export interface SequenceClassificationInputs extends BertInputs {
  /**
   * Labels `[B]`: int32 class ids (single-label), or float32 `[B, num_labels]` multi-hot
   * targets (multi-label), or float32 `[B]` / `[B, num_labels]` targets (regression).
   */
  labels?: Tensor;
}

/** Outputs of the sequence classifier. */
export interface SequenceClassifierOutput {
  /** Class scores `[B, num_labels]`. */
  logits: Tensor;
  /** The loss when labels were given (a scalar), see {@link sequenceClassificationLoss}. */
  loss?: Tensor;
  /** The base model's last hidden states `[B, L, H]`. */
  lastHiddenState: Tensor;
  /** The pooled first token `[B, H]`. */
  poolerOutput: Tensor;
}

/**
 * Which loss {@link sequenceClassificationLoss} uses, as transformers decides it: the config's
 * `problem_type` when set; else `regression` for `num_labels` 1, `single_label_classification`
 * for int32 labels, `multi_label_classification` otherwise.
 */
export function problemTypeOf(config: BertConfig, labels: Tensor): ProblemType {
  if (config.problem_type !== null) return config.problem_type;
  if (config.num_labels === 1) return 'regression';
  return labels.dtype === 'int32' ? 'single_label_classification' : 'multi_label_classification';
}

/**
 * The loss of BertForSequenceClassification, as transformers computes it:
 * - regression: mean squared error (`num_labels` 1: logits and labels flattened to `[B]`);
 * - single-label: mean softmax cross-entropy over int32 class ids `[B]`;
 * - multi-label: mean sigmoid binary cross-entropy against float32 targets `[B, num_labels]`.
 * @param config - the model's configuration (`num_labels`, `problem_type`).
 * @param logits - `[B, num_labels]`.
 * @param labels - as {@link SequenceClassificationInputs.labels}.
 * @returns a scalar.
 * @throws LayerError when the labels do not fit the problem type (shape or dtype).
 * @example
 * ```ts
 * const loss = Bert.sequenceClassificationLoss(config, logits, nx.fromArray([1, 0], { dtype: 'int32' }));
 * ```
 */
export function sequenceClassificationLoss(config: BertConfig, logits: Tensor, labels: Tensor): Tensor {
  const fn = 'Bert.sequenceClassificationLoss';
  const problem = problemTypeOf(config, labels);
  const n = config.num_labels;
  const b = logits.shape[0]!;
  const got = `${labels.dtype} [${labels.shape.join(', ')}]`;
  return nx.scope(() => {
    if (problem === 'regression') {
      if (labels.size !== logits.size) throw new LayerError(`${fn}: regression labels must have ${logits.size} values (logits [${logits.shape.join(', ')}]), got ${got}`);
      if (n === 1) return Loss.mse(nx.reshape(logits, [-1]), nx.reshape(nx.cast(labels, 'float32'), [-1]));
      return Loss.mse(logits, nx.reshape(nx.cast(labels, 'float32'), logits.shape));
    }
    if (problem === 'single_label_classification') {
      if (labels.dtype !== 'int32' || labels.size !== b) throw new LayerError(`${fn}: single-label classification needs int32 class ids [${b}], got ${got}`);
      return Loss.softmaxCrossEntropy(nx.reshape(logits, [-1, n]), nx.reshape(labels, [-1]));
    }
    if (labels.size !== logits.size) throw new LayerError(`${fn}: multi-label classification needs targets [${b}, ${n}], got ${got}`);
    return Loss.sigmoidBinaryCrossEntropy(logits, nx.reshape(nx.cast(labels, 'float32'), logits.shape));
  });
}

/**
 * BertForSequenceClassification: {@link bertModel} (with pooler) under `bert.`, then dropout
 * (`classifier_dropout`, else `hidden_dropout_prob`) and `classifier` (Linear `[num_labels, H]`)
 * on the pooled output.
 *
 * - Input {@link SequenceClassificationInputs}; output {@link SequenceClassifierOutput}
 *   (with `loss` when `labels` are given).
 * - Params: `bert.*` (BertModel's keys, see {@link bertModel}) and `classifier.weight`
 *   `[num_labels, H]`, `classifier.bias` `[num_labels]`: the Hugging Face key names.
 * @param config - a configuration from {@link parseConfig}; `num_labels` sets the classifier size.
 * @throws LayerError (at apply) for malformed inputs or labels.
 * @example
 * ```ts
 * const model = Bert.bertForSequenceClassification(config);
 * const vars = model.init({ key: nx.random.key(0) });
 * const { y } = model.apply(vars, { ...batch, labels }, { training: true, key });
 * y.loss; // scalar
 * ```
 */
export function bertForSequenceClassification(config: BertConfig): BertLayer<SequenceClassificationInputs, SequenceClassifierOutput> {
  const rate = config.classifier_dropout ?? config.hidden_dropout_prob;
  const layer = block<SequenceClassificationInputs, SequenceClassifierOutput>(
    'Bert.bertForSequenceClassification',
    { bert: bertModel(config), classifier: bertLinear(config, config.hidden_size, config.num_labels) },
    (call, x, options) =>
      nx.scope(() => {
        const { lastHiddenState, poolerOutput } = call<BertInputs, BertModelOutput>('bert', x);
        const pooled = dropout(poolerOutput!, rate, options.training, siteKey(options.key, 0), 'Bert.bertForSequenceClassification');
        const logits = call<Tensor, Tensor>('classifier', pooled);
        const out: SequenceClassifierOutput = { logits, lastHiddenState, poolerOutput: poolerOutput! };
        if (x.labels !== undefined) out.loss = sequenceClassificationLoss(config, logits, x.labels);
        return out;
      }),
  );
  return { ...layer, config, architecture: 'BertForSequenceClassification', addPoolingLayer: true, hf: bertDescriptor(config, 'BertForSequenceClassification', true) };
}
