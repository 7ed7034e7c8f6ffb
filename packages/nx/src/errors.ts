/**
 * Errors raised by `@raven/nx`. Every error names the operation that failed and what it got.
 * @module
 */

/** Base class of every error raised by `@raven/nx`. */
export class NxError extends Error {
  /** Creates an error; `cause` is passed on to `Error`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NxError';
  }
}

/** Two shapes do not fit an operation (broadcasting, matmul, concatenation, reshape, ...). */
export class ShapeError extends NxError {
  /** Creates a shape error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShapeError';
  }
}

/** A tensor has a dtype the operation does not accept, or a conversion would lose data. */
export class DTypeError extends NxError {
  /** Creates a dtype error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DTypeError';
  }
}

/** A backend was requested that cannot be loaded (for instance `NX_BACKEND=tensorflow` without `@tensorflow/tfjs-node`). */
export class BackendError extends NxError {
  /** Creates a backend error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendError';
  }
}

/** An argument is out of its allowed range or of the wrong kind. */
export class ValueError extends NxError {
  /** Creates a value error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ValueError';
  }
}

/**
 * A safetensors file is malformed: bad header length, non-UTF-8 or non-JSON header, unknown
 * dtype, offsets that overlap, leave gaps or disagree with shape x dtype, trailing or missing
 * bytes. The message names the file and, where one is at fault, the tensor.
 */
export class SafetensorsFormatError extends NxError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SafetensorsFormatError';
  }
}

/** An index is out of bounds for the axis it indexes (as NumPy's `IndexError`). */
export class IndexError extends NxError {
  /** Creates an index error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IndexError';
  }
}

/**
 * An options object has a key the function does not know (a typo such as `{dim: 1}` for
 * `{axis: 1}`). The message names the function, the unknown key, the closest known key and the
 * full list. Raised by {@link checkOptions} in every public function that takes options.
 */
export class OptionError extends NxError {
  /** The function whose options were checked, e.g. `nx.sum`. */
  readonly where: string;
  /** The unknown key. */
  readonly key: string;
  /** The closest known key, when one is close enough to be a likely typo. */
  readonly suggestion: string | undefined;
  /** Creates the error. */
  constructor(message: string, where: string, key: string, suggestion: string | undefined) {
    super(message);
    this.name = 'OptionError';
    this.where = where;
    this.key = key;
    this.suggestion = suggestion;
  }
}
