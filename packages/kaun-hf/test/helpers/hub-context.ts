/**
 * What the fake Hub's handlers share (test helper).
 * @module
 */
import type { HubState } from './hub-state.js';

/** A multipart or basic upload the batch API handed out and storage has not finished. */
export interface PendingUpload {
  repo: string;
  oid: string;
  size: number;
  /** Part size for multipart; `undefined` for a basic transfer. */
  chunkSize: number | undefined;
  /** Parts received: number -> file and ETag. */
  parts: Map<number, { file: string; etag: string; size: number }>;
}

/** Settings and state of one running fake Hub. */
export interface HubContext {
  state: HubState;
  endpoint: string;
  cdn: string;
  /** Where uploaded LFS objects and parts are written. */
  storageDir: string;
  uploads: Map<string, PendingUpload>;
  /** Tree entries per page (pagination with `Link`). */
  pageSize: number;
  /** LFS objects larger than this get a multipart transfer. */
  multipartThreshold: number;
  /** Part size of multipart transfers. */
  chunkSize: number;
  /** Objects up to this size are kept in memory, larger ones on disk. */
  memoryLimit: number;
  /** The preupload rule: LFS or regular for a file's path, first 512 bytes and size. */
  uploadMode: (path: string, sample: Buffer, size: number) => 'lfs' | 'regular';
}
