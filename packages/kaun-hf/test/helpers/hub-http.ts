/**
 * Small HTTP pieces shared by the fake Hub's handlers (test helper).
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** One logged request. */
export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range: string | undefined;
  authorization: string | undefined;
  status: number;
  /** Bytes of request body the server read (uploads). */
  bodyBytes?: number;
}

/** One request as the fault hook sees it. */
export interface FakeRequest {
  /** Which server got it. */
  server: 'hub' | 'cdn';
  method: string;
  /** Raw path with query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Repository path of the file asked for (hub: from the URL; cdn: the file's repository path, if known). */
  file?: string;
}

/** What to do differently for one request; fields combine. */
export interface FaultAction {
  /** Answer this status right away (with `headers` and `body`), after reading the request body. */
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Send the headers and the first N body bytes, then destroy the socket. */
  cutAfter?: number;
  /** Read the first N bytes of the request body (an upload), then destroy the socket. */
  cutUploadAfter?: number;
  /** Read the request body (an upload) slowly: wait `delayMs` after each chunk received. */
  slowUpload?: { delayMs: number };
  /** Answer 200 with the whole file even when `Range` was asked. */
  ignoreRange?: boolean;
  /** Flip the bits of the body's bytes (length unchanged). */
  corrupt?: boolean;
  /** Send the body in chunks of `chunk` bytes, waiting `delayMs` between them. */
  throttle?: { chunk: number; delayMs: number };
  /** Destroy the socket without answering. */
  destroy?: boolean;
}

/** Answers with the Hub's error shape: `X-Error-Code`, `X-Error-Message`, JSON `{error}`. */
export function errorReply(
  res: ServerResponse,
  log: LoggedRequest,
  status: number,
  code: string | undefined,
  message: string,
  extra: Record<string, string> = {},
): void {
  log.status = status;
  const body = JSON.stringify({ error: message });
  res.writeHead(status, {
    ...(code !== undefined ? { 'X-Error-Code': code } : {}),
    'X-Error-Message': message,
    'X-Request-Id': `req-${Math.floor(Math.random() * 1e9)}`,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Answers JSON. */
export function jsonReply(res: ServerResponse, log: LoggedRequest, status: number, data: unknown, extra: Record<string, string> = {}): void {
  log.status = status;
  const body = JSON.stringify(data);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

/** Reads the whole request body (counted in the log). */
export async function readBody(req: IncomingMessage, log: LoggedRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
    log.bodyBytes = (log.bodyBytes ?? 0) + (chunk as Buffer).length;
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; `undefined` when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The bearer token of a request. */
export function bearer(req: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
}
