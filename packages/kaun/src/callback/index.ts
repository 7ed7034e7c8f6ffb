/**
 * Callbacks for `Train.fit` that come built in: {@link reduceLROnPlateau}, {@link learningRate}
 * (logging), {@link csvLogger}, {@link jsonlLogger}, {@link tensorBoard}. Each is a plain
 * `Train.Callbacks` value; their states are saved by `CheckpointManager` and restored when a run
 * resumes. Keras: `ReduceLROnPlateau`, `CSVLogger`, `TensorBoard`, learning-rate logging.
 *
 * @example
 * ```ts
 * const callbacks = [
 *   Callback.reduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2 }),
 *   Callback.csvLogger('runs/a/log.csv'),
 *   Callback.tensorBoard('runs/a/tb'),
 * ];
 * ```
 * @module
 */
export { reduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce-lr.js';
export { learningRate, type LearningRateOptions } from './learning-rate.js';
export { csvLogger, jsonlLogger, type CsvLoggerOptions, type JsonlLoggerOptions } from './loggers.js';
export { tensorBoard, type TensorBoardOptions } from './tensorboard.js';
