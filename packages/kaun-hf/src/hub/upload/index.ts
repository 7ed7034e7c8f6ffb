/**
 * Uploads as commits: `createCommit`, `uploadFile`, `uploadFolder`, `deleteFile(s)`.
 * @module
 */
export { createCommit } from './commit.js';
export type { CommitInfo, CreateCommitOptions } from './commit.js';
export type { CommitAdd, CommitDelete, CommitOperation } from './operations.js';
export type { UploadProgress } from './progress.js';
export { uploadFile } from './upload-file.js';
export type { UploadFileOptions } from './upload-file.js';
export { uploadFolder } from './upload-folder.js';
export type { UploadFolderOptions } from './upload-folder.js';
export { deleteFile, deleteFiles } from './delete-files.js';
export type { DeleteFilesOptions } from './delete-files.js';
export { DEFAULT_IGNORE_PATTERNS } from './patterns.js';
