/**
 * MNIST as batches: pixels uploaded as float32 and scaled to [0, 1], labels as int32.
 * @module
 */
import * as nx from '@raven/nx';
import { Data, Datasets } from '@raven/kaun';

/** A stream of `{x: [b, 784] float32 in [0, 1], y: [b] int32}` batches. */
export type Batches = Data.Dataset<{ x: nx.Tensor; y: nx.Tensor }>;

/**
 * Batches of a split (its first `limit` examples): shuffled per epoch when a key is given. Rows
 * are copied on the host (bytes -> float32) and uploaded once per batch; the `map` scales them on
 * the device.
 */
export function batches(split: Datasets.ImageSplit, options: { batchSize: number; key?: nx.random.Key; limit?: number }): Batches {
  let src = Data.fromArrays({
    x: { data: split.images, shape: [split.count, 784], dtype: 'float32' },
    y: { data: split.labels, shape: [split.count], dtype: 'int32' },
  });
  if (options.limit !== undefined) src = src.take(options.limit);
  if (options.key !== undefined) src = src.shuffle(options.key);
  return src.batch(options.batchSize).map(({ x, y }) => ({ x: nx.mul(x, 1 / 255), y }));
}
