/**
 * The progress events `downloadFile` reports through `onProgress`.
 * @module
 */

/** One progress report for one file. */
export interface DownloadProgress {
  /** Repository id (or local folder) the file comes from. */
  modelId: string;
  /** Path of the file inside the repository. */
  filename: string;
  /** Bytes on disk so far (includes bytes kept from an earlier, interrupted download). */
  downloaded: number;
  /** Size of the file when known. */
  total: number | undefined;
  /** Bytes this call started from (resumed from an earlier attempt); 0 for a fresh download. */
  resumedFrom: number;
  /** `true` on the last report of the file. */
  done: boolean;
  /** `true` when the file was already in the cache (or a local folder) and nothing was downloaded. */
  fromCache: boolean;
}
