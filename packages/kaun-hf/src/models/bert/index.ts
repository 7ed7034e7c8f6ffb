/**
 * BERT in Hugging Face format: the configuration, BertModel and BertForSequenceClassification
 * as kaun layers whose parameter paths are the Hugging Face key names, loading from the Hub or
 * a folder ({@link fromPretrained}), saving back in the same layout ({@link savePretrained}) and
 * publishing on the Hub ({@link pushToHub}).
 *
 * @example
 * ```ts
 * import * as nx from '@raven/nx';
 * import { Bert } from '@raven/kaun-hf';
 * const { model, vars, tokenizer } = await Bert.fromPretrained('fixtures/bert-tiny');
 * const batch = tokenizer!.encodeBatch(['hello world', 'free money now!!!']);
 * const { y } = model.apply(vars, batch);
 * console.log(nx.toArray(y.logits));
 * ```
 * @module
 */
export {
  type BertConfig, type HiddenAct, type ProblemType, HIDDEN_ACTS, parseConfig, configToJson,
} from './config.js';
export { type BertInputs, type BertModelOutput, type BertLayer, type BertModelOptions, bertModel } from './model.js';
export {
  type SequenceClassificationInputs, type SequenceClassifierOutput,
  bertForSequenceClassification, sequenceClassificationLoss, problemTypeOf,
} from './classification.js';
export { type Architecture, type ParamSpec, type InitKind, ARCHITECTURES, paramSpecs } from './keys.js';
export { type Logger, type LoadReport, type VarsFromWeightsOptions, varsFromWeights } from './weights.js';
export {
  type FromPretrainedOptions, type Pretrained, type SequenceClassifier, type BaseModel, fromPretrained,
} from './pretrained.js';
export { type SavePretrainedOptions, type SavedFiles, savePretrained } from './save.js';
export { type BertPushToHubOptions, pushToHub } from './push.js';
