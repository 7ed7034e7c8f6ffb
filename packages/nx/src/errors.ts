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

/**
 * The wasm backend's heap (4 GiB at most) cannot hold what a computation needs. `usable` says
 * whether the wasm backend still works (the allocation was refused before it happened) or the
 * module aborted (nothing on wasm works in this process any more). The remedy is the native
 * TensorFlow backend (`npx raven-nx-native install`) or a smaller batch or model.
 */
export class WasmHeapError extends BackendError {
  /** The heap's limit in bytes. */
  readonly limitBytes: number;
  /** Bytes of live tensors when it happened. */
  readonly liveBytes: number;
  /** Bytes the refused allocation asked for (`undefined` when a kernel aborted). */
  readonly requestedBytes: number | undefined;
  /** Whether the wasm backend can still be used in this process. */
  readonly usable: boolean;
  /** Creates the error. */
  constructor(
    message: string,
    details: { limitBytes: number; liveBytes: number; requestedBytes: number | undefined; usable: boolean; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'WasmHeapError';
    this.limitBytes = details.limitBytes;
    this.liveBytes = details.liveBytes;
    this.requestedBytes = details.requestedBytes;
    this.usable = details.usable;
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

/**
 * A tensor's bytes (or its dtype and shape) do not match the checksum stored with it: the file
 * is corrupt or was edited. Raised when loading a file written with checksums (the default of
 * `nx.io.saveSafetensors` and kaun's `Checkpoint.save`); `verify: false` skips the check.
 */
export class ChecksumError extends SafetensorsFormatError {
  /** The tensor that failed, when one did. */
  readonly tensor: string | undefined;
  /** Creates the error. */
  constructor(message: string, tensor: string | undefined) {
    super(message);
    this.name = 'ChecksumError';
    this.tensor = tensor;
  }
}

/**
 * A write ran out of disk space (ENOSPC) or quota (EDQUOT). The message names the file, how
 * many bytes it needed and how many were free; the previous file is intact and the partial
 * temporary file was removed.
 */
export class DiskFullError extends NxError {
  /** The file being written. */
  readonly path: string;
  /** Bytes the write needed in all, when known. */
  readonly bytesNeeded: number | undefined;
  /** Bytes free on that file system when the write failed, when known. */
  readonly bytesFree: number | undefined;
  /** Creates the error; `cause` is the file system's error. */
  constructor(message: string, info: { path: string; bytesNeeded?: number | undefined; bytesFree?: number | undefined }, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DiskFullError';
    ({ path: this.path, bytesNeeded: this.bytesNeeded, bytesFree: this.bytesFree } = info);
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

/** Why a tensor is usually found disposed, and what to do instead. @internal */
export const DISPOSED_HINT =
  'Tensors are freed by nx.dispose, at the end of the nx.scope that made them (only what it returns survives), ' +
  'and by Train.step and Train.fit, which consume the TrainState they are given: keep using the state they return.';

/**
 * A tensor that has been freed was used: passed to an nx operation, read, or found in the
 * variables or state handed to a layer or a training step. The message names the operation, the
 * argument where it is known, the tensor's shape and dtype, and the usual cause. It is a
 * {@link ValueError}, as the reads (`nx.toArray`, `nx.item`) raised before.
 */
export class DisposedTensorError extends ValueError {
  /** The operation that received the tensor, e.g. `nx.add` or `Train.fit`. */
  readonly where: string;
  /** The argument or variable path holding the tensor, when known (`y`, `params.0.weight`). */
  readonly argument: string | undefined;
  /** The freed tensor's shape (still known after it was freed). */
  readonly shape: readonly number[];
  /** The freed tensor's dtype. */
  readonly dtype: string;
  /**
   * Creates the error; the message is built from the fields and `hint`. `noun` says what
   * `argument` is (`argument x`, `variable weight`).
   */
  constructor(where: string, argument: string | undefined, tensor: { shape: readonly number[]; dtype: string }, hint: string = DISPOSED_HINT, noun = 'argument') {
    const what = argument === undefined ? 'a tensor argument' : `${noun} ${argument}`;
    super(`${where}: ${what} (shape [${tensor.shape.join(', ')}], dtype ${tensor.dtype}) has been disposed. ${hint}`);
    this.name = 'DisposedTensorError';
    this.where = where;
    this.argument = argument;
    this.shape = [...tensor.shape];
    this.dtype = tensor.dtype;
  }
}

/**
 * `nx.jit` cannot trace a function: it reads a value on the host that depends on its tensor
 * arguments (`nx.item`, `nx.toArray`, a JS `if` on a value), takes or returns something that is
 * not a tree of tensors and static values, or the traced graph cannot be built. The message names
 * the operation and says what to change.
 */
export class TraceError extends NxError {
  /** Creates a trace error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TraceError';
  }
}
