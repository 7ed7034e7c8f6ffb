/**
 * The one function that turns an HTTP error response into a typed error, from its status and
 * `X-Error-Code` (huggingface_hub's `hf_raise_for_status`, written for our messages).
 * @module
 */
import {
  AuthenticationError,
  ConflictError,
  EntryNotFoundError,
  GatedRepoError,
  HubHttpError,
  type HubHttpErrorDetails,
  PermissionDeniedError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
} from '../errors.js';

/** What the caller knew when the request failed, to write an actionable message. */
export interface ErrorContext {
  /** Function name that prefixes the message (`downloadFile`). */
  where: string;
  /** Repository id. */
  repoId: string;
  /** Revision asked for. */
  revision: string;
  /** File path inside the repository. */
  filename: string;
  /** Hub address. */
  endpoint: string;
  /** Whether a token was sent with the request. */
  sentToken: boolean;
  /** Whether the request went to the Hub's own `resolve` address (not a CDN). */
  isRepoUrl: boolean;
}

/** The parts of a response the mapping reads. */
export interface ErrorResponse {
  status: number;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Body text, when it was read (JSON `{error}` is used as the server message). */
  body?: string;
}

function header(headers: ErrorResponse['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function serverMessageOf(res: ErrorResponse): string | undefined {
  const parts: string[] = [];
  const fromHeader = header(res.headers, 'x-error-message');
  if (fromHeader) parts.push(fromHeader.trim());
  const body = res.body?.trim();
  if (body) {
    try {
      const data = JSON.parse(body) as { error?: unknown };
      if (typeof data.error === 'string') parts.push(data.error.trim());
      else if (Array.isArray(data.error)) parts.push(...data.error.map((e) => String(e).trim()));
    } catch {
      const type = header(res.headers, 'content-type') ?? '';
      if (!type.includes('html') && body.length < 500) parts.push(body);
    }
  }
  const unique = [...new Set(parts.filter((p) => p.length > 0))];
  return unique.length > 0 ? unique.join(' ') : undefined;
}

/** Status, error code, server message and request id of a response, and the message tail quoting them. */
function describe(res: ErrorResponse): { code: string | undefined; details: HubHttpErrorDetails; tail: string } {
  const code = header(res.headers, 'x-error-code');
  const serverMessage = serverMessageOf(res);
  const requestId = header(res.headers, 'x-request-id') ?? header(res.headers, 'x-amzn-trace-id');
  const details: HubHttpErrorDetails = { status: res.status, url: res.url };
  if (code !== undefined) details.errorCode = code;
  if (serverMessage !== undefined) details.serverMessage = serverMessage;
  if (requestId !== undefined) details.requestId = requestId;
  const tail =
    ` (HTTP ${res.status}${code ? ` ${code}` : ''} for ${res.url}` +
    `${requestId ? `, request id ${requestId}` : ''})${serverMessage ? `; server said: ${serverMessage}` : ''}`;
  return { code, details, tail };
}

/**
 * Maps an error response to the error class a caller would catch, with a message that says what
 * to do. `RevisionNotFound`, `EntryNotFound`, `GatedRepo`, `RepoNotFound` come from
 * `X-Error-Code`; a 401 on the Hub's own address is treated as "not found or private", as the Hub
 * answers 401 for both when no token is sent.
 * @returns The error to throw (never throws itself).
 */
export function hubErrorFromResponse(res: ErrorResponse, ctx: ErrorContext): HubHttpError {
  const { code, details, tail } = describe(res);
  const repo = `"${ctx.repoId}"`;

  if (code === 'RevisionNotFound') {
    return new RevisionNotFoundError(
      `${ctx.where}: revision "${ctx.revision}" was not found in repository ${repo}; ` +
        `check the branch, tag or commit hash${tail}`,
      details,
    );
  }
  if (code === 'EntryNotFound') {
    const commit = header(res.headers, 'x-repo-commit');
    return new EntryNotFoundError(
      `${ctx.where}: file "${ctx.filename}" was not found in repository ${repo} at revision "${ctx.revision}"; ` +
        `check the file name (paths are relative to the repository root)${tail}`,
      commit ? { ...details, commit } : details,
    );
  }
  if (code === 'GatedRepo') {
    const action = ctx.sentToken
      ? 'the token sent belongs to an account that has not been granted access yet'
      : 'no token was sent: set HF_TOKEN (or pass `token`) to a token of an account that was granted access';
    return new GatedRepoError(
      `${ctx.where}: repository ${repo} is gated; request access at ${ctx.endpoint}/${ctx.repoId} and wait ` +
        `for approval; ${action}${tail}`,
      details,
    );
  }
  if (code === 'RepoNotFound' || (ctx.isRepoUrl && res.status === 401)) {
    const action = ctx.sentToken
      ? 'if it is private, the token sent has no access to it (check HF_TOKEN or `token`)'
      : 'set HF_TOKEN (or pass `token`) if it is private';
    return new RepositoryNotFoundError(
      `${ctx.where}: repository ${repo} was not found on ${ctx.endpoint}; check the id; ${action}${tail}`,
      details,
    );
  }
  if (res.status === 403) {
    return new HubHttpError(
      `${ctx.where}: access to "${ctx.filename}" in ${repo} is forbidden; ` +
        `make sure the token has read permission for this repository${tail}`,
      details,
    );
  }
  if (res.status === 416) {
    return new HubHttpError(
      `${ctx.where}: the server refused the byte range asked for "${ctx.filename}"; ` +
        `delete the repository's cache folder and retry${tail}`,
      details,
    );
  }
  if (res.status === 429 || res.status >= 500) {
    return new HubHttpError(
      `${ctx.where}: the server kept failing for "${ctx.filename}" in ${repo} after every retry; ` +
        `try again later${tail}`,
      details,
    );
  }
  return new HubHttpError(
    `${ctx.where}: request for "${ctx.filename}" in ${repo} at revision "${ctx.revision}" failed${tail}`,
    details,
  );
}

/** What the caller knew when a Hub API request (create, list, upload, commit) failed. */
export interface ApiErrorContext {
  /** Function name that prefixes the message (`uploadFolder`). */
  where: string;
  /** Repository id. */
  repoId: string;
  /** Branch or revision the request was about, if any. */
  revision?: string;
  /** What was being done, for the message: `create repository "org/name"`, `commit to "main"`. */
  action: string;
  /** Hub address. */
  endpoint: string;
  /** Whether a token was sent with the request. */
  sentToken: boolean;
}

/** The Hub's message for a token it does not accept (huggingface_hub tests for the same text). */
const INVALID_CREDENTIALS = /invalid credentials|invalid token|expired/i;

/**
 * Maps an error response of the Hub's API (`/api/...`, the LFS batch endpoint, storage) to the
 * error class a caller would catch: `RevisionNotFound`, `EntryNotFound`, `GatedRepo`,
 * `RepoNotFound` from `X-Error-Code`; 401 "Invalid credentials" as {@link AuthenticationError},
 * any other 401 as "not found or private" (what the Hub answers for both); 403 as
 * {@link PermissionDeniedError}; 409 and 412 as {@link ConflictError}.
 * @returns The error to throw (never throws itself).
 */
export function apiErrorFromResponse(res: ErrorResponse, ctx: ApiErrorContext): HubHttpError {
  const { code, details, tail } = describe(res);
  const repo = `"${ctx.repoId}"`;
  const head = `${ctx.where}: could not ${ctx.action}`;
  const rev = ctx.revision ?? 'main';
  if (code === 'RevisionNotFound') {
    return new RevisionNotFoundError(
      `${head}: revision "${rev}" does not exist in ${repo}; create the branch first (createBranch, ` +
        `or \`kaun-hf upload --revision\`, which creates it) or pass an existing one${tail}`,
      details,
    );
  }
  if (code === 'EntryNotFound') {
    return new EntryNotFoundError(`${head}: a file named in the request does not exist in ${repo} at "${rev}"${tail}`, details);
  }
  if (code === 'GatedRepo') {
    return new GatedRepoError(`${head}: repository ${repo} is gated and the token has no access${tail}`, details);
  }
  if (res.status === 401 && INVALID_CREDENTIALS.test(details.serverMessage ?? '')) {
    return new AuthenticationError(
      `${head}: the Hub refused the token (invalid, expired or revoked); make a new one with write access at ` +
        `https://huggingface.co/settings/tokens and set HF_TOKEN (or pass \`token\`)${tail}`,
      details,
    );
  }
  if (code === 'RepoNotFound' || res.status === 401) {
    const action = ctx.sentToken
      ? 'if it is private, the token has no access to it'
      : 'no token was sent: set HF_TOKEN (or pass `token`)';
    return new RepositoryNotFoundError(
      `${head}: repository ${repo} was not found on ${ctx.endpoint}; check the id, or create it first ` +
        `(createRepo, or pushToHub/\`kaun-hf upload\`, which create it); ${action}${tail}`,
      details,
    );
  }
  if (res.status === 403) {
    return new PermissionDeniedError(
      `${head}: the token may not write to ${repo}; use a token with write access to its namespace ` +
        `("${ctx.repoId.split('/')[0]}"): a "write" token, or a fine-grained token granted write on it${tail}`,
      details,
    );
  }
  if (res.status === 409 || res.status === 412) {
    return new ConflictError(`${head}: it conflicts with the state of ${repo}${tail}`, details);
  }
  if (res.status === 429 || res.status >= 500) {
    return new HubHttpError(`${head}: the server kept failing after every retry; try again later${tail}`, details);
  }
  return new HubHttpError(`${head}: the Hub refused the request${tail}`, details);
}
