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
