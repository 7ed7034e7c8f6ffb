/**
 * The pretrained-model machinery every Hugging Face format family shares: where a model comes
 * from (Hub id, `hf://`, folder), key matching and weights-to-variables with a load report,
 * tokenizer loading, and {@link savePretrained}.
 * @module
 */
export type { ParamSpec, HfDescriptor, PretrainedModel } from './model.js';
export type { Logger, LoadReport } from './report.js';
export { savePretrained, type SavePretrainedOptions, type SavedFiles } from './save.js';
export { pushToHub, type PushToHubOptions } from './push.js';
