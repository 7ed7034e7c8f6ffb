/**
 * Publishing models: `pushToHub` over any "save in Hugging Face layout" function, and model cards.
 * @module
 */
export { pushToHub } from './push-to-hub.js';
export type { PushResult, PushToHubOptions } from './push-to-hub.js';
export { modelCard } from './model-card.js';
export type { ModelCardData } from './model-card.js';
