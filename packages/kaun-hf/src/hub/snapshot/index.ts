/**
 * Whole repositories down: `snapshotDownload`.
 * @module
 */
export { snapshotDownload } from './snapshot-download.js';
export type { SnapshotDownloadOptions } from './snapshot-download.js';
