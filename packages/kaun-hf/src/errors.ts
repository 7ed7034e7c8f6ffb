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
