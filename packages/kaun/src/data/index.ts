/**
 * Data pipelines that stream: rows stay in host arrays, each epoch reorders row numbers, and
 * batches are built on the host (one upload per column per batch). Nothing copies the dataset
 * per epoch.
 *
 * @example
 * ```ts
 * const train = Data.fromArrays({ x: { data: images, shape: [60000, 784] }, y: labels })
 *   .shuffle(nx.random.key(0))      // a new order every epoch
 *   .batch(128)                     // Dataset of {x: [128, 784], y: [128]}
 *   .map(({ x, y }) => ({ x: nx.div(x, 255), y }));
 * for (const { x, y } of train) { ...; nx.dispose([x, y]); } // the consumer disposes batches
 * ```
 * @module
 */
export { Dataset, fromGenerator, type EpochFn, type FromGeneratorOptions } from './dataset.js';
export { Source, fromArrays, fromTensors, type ArraySpec, type ColumnData, type NestedNumbers, type BatchOptions } from './source.js';
export { readCsv, streamCsv, type CsvType, type ReadCsvOptions, type StreamCsvOptions, type CsvData } from './csv.js';
export { readImageFolder, type ReadImageFolderOptions, type ImageFolder } from './images.js';
