/**
 * Errors raised by `@raven/kaun-hf`.
 * @module
 */

/** Base class of every error raised by `@raven/kaun-hf`. */
export class KaunHfError extends Error {
  /** Creates an error; `cause` is passed on. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KaunHfError';
  }
}

/** A tokenizer file is missing or malformed, or tokenizer options are invalid. */
export class TokenizerError extends KaunHfError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenizerError';
  }
}

/** A model config or checkpoint does not fit the model (unknown activation, missing keys, wrong shapes). */
export class ModelLoadError extends KaunHfError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

// Hub errors (HubError and its subclasses) follow below.

/**
 * Base class of every error raised by the Hub client (`downloadFile`, `loadConfig`, `loadWeights`,
 * the cache functions and the `kaun-hf` command).
 */
export class HubError extends KaunHfError {
  /** Creates an error; `cause` is passed on. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubError';
  }
}

/** What an HTTP error carried: status, address, server message, request id. */
export interface HubHttpErrorDetails {
  /** HTTP status; `undefined` when the fact came from the cache or a local folder, not a response. */
  status?: number;
  /** Address of the request that failed. */
  url?: string;
  /** `X-Error-Code` sent by the Hub (`RepoNotFound`, `GatedRepo`, ...). */
  errorCode?: string;
  /** Message sent by the server (`X-Error-Message` or the `error` field of a JSON body). */
  serverMessage?: string;
  /** `X-Request-Id` of the response, to quote when reporting a problem to the Hub. */
  requestId?: string;
}

/**
 * The Hub answered with an error status (after retries for 429 and 5xx). Subclasses name the
 * common cases; this class covers the others (403, 416, 5xx that outlived the retries...).
 */
export class HubHttpError extends HubError {
  /** HTTP status; `undefined` when the fact came from the cache or a local folder. */
  readonly status: number | undefined;
  /** Address of the request that failed. */
  readonly url: string | undefined;
  /** `X-Error-Code` of the response. */
  readonly errorCode: string | undefined;
  /** Message sent by the server. */
  readonly serverMessage: string | undefined;
  /** `X-Request-Id` of the response. */
  readonly requestId: string | undefined;
  /** Creates the error from a message and the response details. */
  constructor(message: string, details: HubHttpErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubHttpError';
    this.status = details.status;
    this.url = details.url;
    this.errorCode = details.errorCode;
    this.serverMessage = details.serverMessage;
    this.requestId = details.requestId;
  }
}

/**
 * The repository does not exist, or it is private and no token with access was sent (the Hub
 * answers 401 or 404 with `X-Error-Code: RepoNotFound` in both cases).
 */
export class RepositoryNotFoundError extends HubHttpError {
  /** Creates the error. */
  constructor(message: string, details: HubHttpErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.name = 'RepositoryNotFoundError';
  }
}

/** The repository is gated: its page must be visited to request access, then a token of that account sent. */
export class GatedRepoError extends RepositoryNotFoundError {
  /** Creates the error. */
  constructor(message: string, details: HubHttpErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.name = 'GatedRepoError';
  }
}

/** The repository exists but the branch, tag or commit asked for does not. */
export class RevisionNotFoundError extends HubHttpError {
  /** Creates the error. */
  constructor(message: string, details: HubHttpErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.name = 'RevisionNotFoundError';
  }
}

/**
 * The Hub refused the token: it is invalid, expired or revoked (HTTP 401 "Invalid credentials"),
 * or an operation that writes (or creates) was called without any token. Make a token with write
 * access at https://huggingface.co/settings/tokens and set `HF_TOKEN` (or pass `token`).
 */
export class AuthenticationError extends HubHttpError {
  /** Creates the error. */
  constructor(message: string, details: HubHttpErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.name = 'AuthenticationError';
  }
}

/**
 * The token is valid but may not do this (HTTP 403): a read-only token used to write, or a
 * repository in a namespace the token's account does not belong to.
 */
export class PermissionDeniedError extends HubHttpError {
  /** Creates the error. */
  constructor(message: string, details: HubHttpErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.name = 'PermissionDeniedError';
  }
}

/**
 * The request conflicts with the repository's state: HTTP 409 (a repository or branch that
 * already exists) or 412 (the branch moved since `parentCommit`).
 */
export class ConflictError extends HubHttpError {
  /** Creates the error. */
  constructor(message: string, details: HubHttpErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.name = 'ConflictError';
  }
}

/** The repository and revision exist but the file does not (on the Hub, in the cache's record, or in a local folder). */
export class EntryNotFoundError extends HubHttpError {
  /** Commit the Hub resolved the revision to (`X-Repo-Commit`), when it said. */
  readonly commit: string | undefined;
  /** Creates the error. */
  constructor(message: string, details: HubHttpErrorDetails & { commit?: string } = {}, options?: { cause?: unknown }) {
    super(message, details, options);
    this.name = 'EntryNotFoundError';
    this.commit = details.commit;
  }
}

/** A file is not in the cache and the network was not used (offline) or could not be used. */
export class LocalEntryNotFoundError extends HubError {
  /** Path of the file inside the repository. */
  readonly filename: string;
  /** The repository's cache folder that was searched. */
  readonly cacheFolder: string;
  /** Creates the error. */
  constructor(message: string, where: { filename: string; cacheFolder: string }, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalEntryNotFoundError';
    this.filename = where.filename;
    this.cacheFolder = where.cacheFolder;
  }
}

/** Offline mode (`offline: true` or `HF_HUB_OFFLINE=1`) is on and the file is not in the cache. */
export class OfflineError extends LocalEntryNotFoundError {
  /** Creates the error. */
  constructor(message: string, where: { filename: string; cacheFolder: string }, options?: { cause?: unknown }) {
    super(message, where, options);
    this.name = 'OfflineError';
  }
}

/**
 * Offline (or with the Hub unreachable), the cached snapshot of a revision lacks files that the
 * repository's recorded file list (`trees/<commit>.json`) says it has: an interrupted
 * `snapshotDownload`. Run it again online to complete it.
 */
export class IncompleteSnapshotError extends LocalEntryNotFoundError {
  /** Paths inside the repository that are missing from the snapshot. */
  readonly missing: string[];
  /** Creates the error. */
  constructor(
    message: string,
    where: { filename: string; cacheFolder: string; missing: string[] },
    options?: { cause?: unknown },
  ) {
    super(message, where, options);
    this.name = 'IncompleteSnapshotError';
    this.missing = where.missing;
  }
}

/** The server could not be reached, or connections kept failing, after every retry; `cause` holds the last failure. */
export class NetworkError extends HubError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/**
 * A Hub call did not finish within its overall deadline (`deadlineMs`): every request, retry,
 * wait for another process's download and byte of the body counts. A partial download is kept
 * (`blobs/<etag>.raven.incomplete`) and a later call resumes it.
 */
export class DeadlineExceededError extends HubError {
  /** The deadline that passed, in ms. */
  readonly deadlineMs: number;
  /** Creates the error. */
  constructor(message: string, deadlineMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadlineExceededError';
    this.deadlineMs = deadlineMs;
  }
}

/**
 * A download ran out of disk space (ENOSPC), quota (EDQUOT) or file size limit (EFBIG, e.g.
 * `ulimit -f`). The partial file was removed, so the space it took is free again; the message
 * says how many bytes the file needs and how many are free.
 */
export class HubDiskFullError extends HubError {
  /** The partial file that was being written (now removed). */
  readonly path: string;
  /** The file's size in bytes, when the Hub announced it. */
  readonly bytesNeeded: number | undefined;
  /** Bytes free on that file system after the partial file was removed, when known. */
  readonly bytesFree: number | undefined;
  /** Creates the error; `cause` is the file system's error. */
  constructor(message: string, info: { path: string; bytesNeeded: number | undefined; bytesFree: number | undefined }, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubDiskFullError';
    ({ path: this.path, bytesNeeded: this.bytesNeeded, bytesFree: this.bytesFree } = info);
  }
}

/**
 * A file name (from the caller, the server or an index's `weight_map`), a revision or a server
 * value used as a file name would leave its cache folder (`..`, absolute paths, backslashes,
 * empty segments); nothing was written.
 */
export class UnsafePathError extends HubError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnsafePathError';
  }
}

/** A downloaded file does not match what the Hub announced (size, or sha256 for LFS files); it was deleted. */
export class IntegrityError extends HubError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IntegrityError';
  }
}

/** A repository holds weights only in a format that is not loaded (PyTorch pickle `.bin`). */
export class UnsupportedWeightsError extends HubError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnsupportedWeightsError';
  }
}
