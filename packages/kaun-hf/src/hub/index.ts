/**
 * The Hugging Face Hub client: download with a huggingface_hub-compatible cache (single files,
 * config, weights with sharded checkpoints merged, whole snapshots), cache inspection,
 * repositories, uploads as commits, and publishing models.
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
export type { CachedFile, CachedRepo, CachedSnapshot, ClearCacheOptions, ClearCacheResult, PartialFile } from './cache-info.js';
export type { HubApiOptions } from './api/options.js';
export * from './repo/index.js';
export * from './upload/index.js';
export * from './snapshot/index.js';
export * from './push/index.js';
