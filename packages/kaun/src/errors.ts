/**
 * Errors raised by `@raven/kaun`. Messages start with the function that failed.
 * @module
 */
import type { TrainState } from './train/types.js';

/** Base class of every error raised by `@raven/kaun`. */
export class KaunError extends Error {
  /** Creates an error; `cause` is passed on. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KaunError';
  }
}

/** A parameter tree does not have the structure an operation expects (keys, lengths, leaves). */
export class TreeStructureError extends KaunError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TreeStructureError';
  }
}

/** A layer got an input of the wrong shape or dtype, or was built with invalid options. */
export class LayerError extends KaunError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LayerError';
  }
}

/** An optimizer or schedule was built with invalid options or given mismatched trees. */
export class OptimError extends KaunError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OptimError';
  }
}

/** A dataset, pipeline or data file is invalid (bad IDX file, checksum mismatch, ...). */
export class DataError extends KaunError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
  }
}

/** A checkpoint key is missing or has the wrong shape for the template it is loaded into. */
export class CheckpointKeyError extends KaunError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointKeyError';
  }
}

/** A checkpoint file or folder is malformed (bad index, missing shard, path escaping the folder). */
export class CheckpointError extends KaunError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
  }
}

/**
 * A class label is out of range: an integer id outside `[0, numClasses)` that is not the
 * `ignoreIndex`. The message names the label, where it was and the class count.
 */
export class LabelError extends KaunError {
  /** The offending label. */
  readonly label: number;
  /** Its flat position in the labels tensor. */
  readonly position: number;
  /** The number of classes (`undefined` when only negative labels could be checked). */
  readonly numClasses: number | undefined;
  /** Creates the error from the message and what was found. */
  constructor(message: string, found: { label: number; position: number; numClasses: number | undefined }) {
    super(message);
    this.name = 'LabelError';
    ({ label: this.label, position: this.position, numClasses: this.numClasses } = found);
  }
}

/**
 * A step's loss was NaN or infinite and `fit` stopped (its `nonFinite` option is `'stop'`, the
 * default). The parameters are probably NaN from that step on; `state` is the state when the
 * loop stopped (yours to dispose) and `history` the logs of the epochs that finished.
 */
export class NonFiniteLossError extends KaunError {
  /** The epoch (0-based, as `fit` counts). */
  readonly epoch: number;
  /** The first step (0-based batch index within the epoch) whose loss was not finite. */
  readonly step: number;
  /** The loss there: NaN, Infinity or -Infinity. */
  readonly loss: number;
  /** The training state when the loop stopped. */
  readonly state: TrainState;
  /** Per-epoch logs of the epochs that finished before. */
  readonly history: Record<string, number[]>;
  /** Creates the error. */
  constructor(message: string, found: { epoch: number; step: number; loss: number; state: TrainState; history: Record<string, number[]> }) {
    super(message);
    this.name = 'NonFiniteLossError';
    ({ epoch: this.epoch, step: this.step, loss: this.loss, state: this.state, history: this.history } = found);
  }
}

