/**
 * The Hugging Face Hub client: download with a huggingface_hub-compatible cache, config and
 * weights (sharded checkpoints merged), cache inspection.
 * @module
 */
export { cacheRoot, DEFAULT_ENDPOINT, resolveHubConfig } from './config.js';
export type { HubConfig, HubOptions, LockOptions, RetryOptions } from './config.js';
export type { DownloadProgress } from './progress.js';
export { downloadFile } from './download-file.js';
export type { DownloadFileOptions } from './download-file.js';
export { downloadWeights, loadConfig, WEIGHTS_FILES, WEIGHTS_INDEX } from './weights.js';
export type { WeightFiles } from './weights.js';
export { loadWeights } from './load-weights.js';
export { clearCache, listCache } from './cache-info.js';
export type { CachedFile, CachedRepo, CachedSnapshot, ClearCacheResult } from './cache-info.js';
