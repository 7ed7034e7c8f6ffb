/**
 * Publishing models: model cards (the push itself is `pushToHub`, with the model families).
 * @module
 */
export type { PushResult, PushUploadOptions } from './push-folder.js';
export { modelCard, taskOfArchitecture } from './model-card.js';
export type { ModelCardData } from './model-card.js';
