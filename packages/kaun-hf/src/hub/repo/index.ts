/**
 * Repositories on the Hub: create, describe, list files, branches.
 * @module
 */
export { createRepo } from './create-repo.js';
export type { CreateRepoOptions, RepoUrl } from './create-repo.js';
export { repoInfo } from './repo-info.js';
export type { RepoInfo, RepoInfoOptions } from './repo-info.js';
export { listRepoFiles, listRepoTree } from './list-files.js';
export type { ListRepoTreeOptions, RepoEntry } from './list-files.js';
export { createBranch, deleteBranch } from './branch.js';
export type { CreateBranchOptions, DeleteBranchOptions } from './branch.js';
