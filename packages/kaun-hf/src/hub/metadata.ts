/**
 * The cheap metadata request: `HEAD {endpoint}/{repo}/resolve/{revision}/{path}` without
 * following the CDN redirect, read into commit, ETag, size and download address.
 * @module
 */
import { HubError } from '../errors.js';
import type { HubConfig } from './config.js';
import { headerValue, sendFollowing } from './http.js';
import { hubErrorFromResponse } from './http-errors.js';
import { resolveUrl, safeName } from './paths.js';

/** What the Hub says about one file at one revision. */
export interface FileMetadata {
  /** Commit the revision resolves to (`X-Repo-Commit`). */
  commit: string;
  /** Blob id: `X-Linked-Etag` (LFS: the sha256) or `ETag` (git blob sha1), `W/` and quotes stripped. */
  etag: string;
  /** File size (`X-Linked-Size`, else `Content-Length`), when sent. */
  size: number | undefined;
  /** Where to GET the bytes: the `Location` of a redirect (CDN), else the resolve address. */
  location: string;
  /** Whether the Hub stores the file with LFS (it sent `X-Linked-Etag`). */
  lfs: boolean;
}

/** Strips the weak prefix `W/` and the quotes of an ETag. */
export function normalizeEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
}

function intOrUndefined(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** The file a metadata request is about. */
export interface MetadataRequest {
  /** Repository id. */
  repoId: string;
  /** Revision asked for. */
  revision: string;
  /** Path inside the repository, as given. */
  filename: string;
  /** Its checked segments. */
  segments: string[];
  /** Function name for messages. */
  where: string;
}

/**
 * Asks the Hub for a file's metadata with one `HEAD` (following only relative redirects, which
 * the Hub uses for renamed repositories).
 * @throws {HubHttpError} (and its subclasses) mapped from the status and `X-Error-Code`.
 * @throws {NetworkError} When the Hub cannot be reached after retries.
 * @throws {HubError} When the answer lacks `X-Repo-Commit` or an ETag.
 * @throws {UnsafePathError} When the commit or ETag cannot be used as a file name.
 */
export async function fetchFileMetadata(config: HubConfig, req: MetadataRequest): Promise<FileMetadata> {
  const url = resolveUrl(config.endpoint, req.repoId, req.revision, req.segments);
  const res = await sendFollowing('HEAD', url, {}, config, {
    where: req.where,
    retryUnreachable: false,
    relativeOnly: true,
  });
  await res.body.dump().catch(() => undefined);
  if (res.status >= 400) {
    throw hubErrorFromResponse(
      { status: res.status, url: res.url, headers: res.headers },
      {
        where: req.where,
        repoId: req.repoId,
        revision: req.revision,
        filename: req.filename,
        endpoint: config.endpoint,
        sentToken: config.token !== undefined,
        isRepoUrl: true,
      },
    );
  }
  const commit = headerValue(res.headers, 'x-repo-commit');
  const linkedEtag = headerValue(res.headers, 'x-linked-etag');
  const etag = linkedEtag ?? headerValue(res.headers, 'etag');
  const notHub = `is ${config.endpoint} a Hugging Face Hub or a mirror of one? (set HF_ENDPOINT or \`endpoint\`)`;
  if (!commit) {
    throw new HubError(
      `${req.where}: the answer for "${req.filename}" (${res.url}) has no X-Repo-Commit header; ${notHub}`,
    );
  }
  if (!etag || normalizeEtag(etag) === '') {
    throw new HubError(`${req.where}: the answer for "${req.filename}" (${res.url}) has no ETag; ${notHub}`);
  }
  const location = headerValue(res.headers, 'location');
  return {
    commit: safeName(commit.trim(), 'the commit (X-Repo-Commit)', req.where),
    etag: safeName(normalizeEtag(etag), 'the ETag', req.where),
    size: intOrUndefined(headerValue(res.headers, 'x-linked-size') ?? headerValue(res.headers, 'content-length')),
    location: res.status >= 300 && res.status < 400 && location ? new URL(location, res.url).href : res.url,
    lfs: linkedEtag !== undefined,
  };
}
