/**
 * The progress events of uploads (`uploadFile`, `uploadFolder`, `createCommit`, `pushToHub`).
 * @module
 */

/** One progress report for one file of an upload. */
export interface UploadProgress {
  /** Repository id. */
  repoId: string;
  /** Path of the file in the repository. */
  pathInRepo: string;
  /**
   * `'hashing'`: computing its sha256 (LFS files); `'uploading'`: sending it to storage (LFS
   * files; regular files travel inside the commit); `'unchanged'`: the revision already holds
   * these exact bytes, so it is left out; `'stored'`: the Hub's storage already holds the bytes
   * (from an earlier, interrupted upload or another repository), so they are not sent again.
   */
  phase: 'hashing' | 'uploading' | 'unchanged' | 'stored';
  /** Bytes done in this phase. */
  bytes: number;
  /** Size of the file. */
  total: number;
  /** `true` on the last report of the phase. */
  done: boolean;
}
