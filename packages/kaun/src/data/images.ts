/**
 * Data from a folder of images, one sub-folder per class (torchvision's `ImageFolder`, Keras'
 * `image_dataset_from_directory`), decoded with `pngjs` and `jpeg-js`.
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import * as nx from '@raven/nx';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from '../errors.js';
import { fromArrays, type Source } from './source.js';

/** Options of {@link readImageFolder}. */
export interface ReadImageFolderOptions {
  /** Resize every image to `[height, width]` (bilinear, pixel centres aligned, as PyTorch's `interpolate(align_corners=False)` without antialiasing); default: keep the size, which must then be the same for all. */
  size?: [number, number];
  /** 3 for RGB, 1 for grayscale (`L = 0.299 R + 0.587 G + 0.114 B`, as PIL), 4 for RGBA; default 3. */
  channels?: 1 | 3 | 4;
  /** The class folders to read, in label order; default every sub-folder, sorted by name (as torchvision). */
  classes?: string[];
}

const KEYS: nx.OptionKeys<ReadImageFolderOptions> = { size: true, channels: true, classes: true };

/** What {@link readImageFolder} returns. */
export interface ImageFolder {
  /** Rows `x` (float32 `[C, H, W]` in [0, 1], as torchvision's `ToTensor`) and `y` (int32 class index): `shuffle`, `batch` like any source. */
  source: Source<'x' | 'y'>;
  /** The class names, in label order. */
  classes: string[];
  /** The image files, in row order. */
  files: string[];
}

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** RGBA pixels of a PNG or JPEG file. */
function decode(file: string, bytes: Buffer): { width: number; height: number; data: Uint8Array } {
  const ext = extname(file).toLowerCase();
  try {
    if (ext === '.png') {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: png.data };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    throw new DataError(`Data.readImageFolder: cannot decode ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Writes one image, `[C, H, W]` in [0, 1], at `out[offset..]`. */
function toCHW(img: { width: number; height: number; data: Uint8Array }, channels: number, size: [number, number], out: Float32Array, offset: number): void {
  const [h, w] = size;
  const plane = h * w;
  const sx = img.width / w;
  const sy = img.height / h;
  const px = (x: number, y: number, c: number) => img.data[(y * img.width + x) * 4 + c]!;
  for (let y = 0; y < h; y++) {
    // source coordinate of the pixel centre, clamped (align_corners=False)
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const tx = fx - x0;
      const sample = (c: number) => (px(x0, y0, c) * (1 - tx) + px(x1, y0, c) * tx) * (1 - ty) + (px(x0, y1, c) * (1 - tx) + px(x1, y1, c) * tx) * ty;
      const i = y * w + x;
      if (channels === 1) out[offset + i] = (0.299 * sample(0) + 0.587 * sample(1) + 0.114 * sample(2)) / 255;
      else for (let c = 0; c < channels; c++) out[offset + c * plane + i] = sample(c) / 255;
    }
  }
}

/**
 * Reads a folder of images laid out one sub-folder per class (`root/cat/1.png`,
 * `root/dog/a.jpg`): every PNG and JPEG is decoded, converted to `channels`, resized to `size`
 * when given, and stored as float32 `[C, H, W]` in [0, 1]; the label is the index of its folder
 * in `classes`. The result is a row source, shuffled and batched like the rest:
 * `source.shuffle(key).batch(32)` gives `{x: [32, C, H, W], y: [32]}`. Everything is decoded
 * once, up front (memory: `4 C H W` bytes per image).
 * @throws DataError when the folder has no class folders or images, a file does not decode, or
 * images differ in size without `size`.
 * @example
 * ```ts
 * const { source, classes } = await Data.readImageFolder('photos', { size: [64, 64] });
 * const train = source.shuffle(nx.random.key(0)).batch(32);
 * ```
 */
export async function readImageFolder(root: string, options: ReadImageFolderOptions = {}): Promise<ImageFolder> {
  const fn = 'Data.readImageFolder';
  nx.checkOptions(fn, options, KEYS);
  const channels = options.channels ?? 3;
  if (![1, 3, 4].includes(channels)) throw new DataError(`${fn}: channels must be 1, 3 or 4, got ${String(channels)}`);
  if (options.size !== undefined && !(Array.isArray(options.size) && options.size.length === 2 && options.size.every((d) => Number.isInteger(d) && d > 0))) {
    throw new DataError(`${fn}: size must be [height, width] of positive integers, got ${JSON.stringify(options.size)}`);
  }
  let classes: string[];
  try {
    classes = options.classes ?? (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  } catch (e) {
    throw new DataError(`${fn}: cannot read the folder ${root}: ${(e as Error).message}`, { cause: e });
  }
  if (classes.length === 0) throw new DataError(`${fn}: ${root} has no class folders (expected root/<class>/<image>)`);
  const files: string[] = [];
  const labels: number[] = [];
  for (let c = 0; c < classes.length; c++) {
    const names = (await readdir(join(root, classes[c]!))).filter((n) => EXTENSIONS.has(extname(n).toLowerCase())).sort();
    for (const n of names) {
      files.push(join(root, classes[c]!, n));
      labels.push(c);
    }
  }
  if (files.length === 0) throw new DataError(`${fn}: no PNG or JPEG files under ${root}/{${classes.join(',')}}`);
  let size = options.size;
  let x: Float32Array | undefined;
  for (let i = 0; i < files.length; i++) {
    const img = decode(files[i]!, await readFile(files[i]!));
    if (size === undefined) size = [img.height, img.width];
    else if (options.size === undefined && (img.height !== size[0] || img.width !== size[1])) {
      throw new DataError(`${fn}: ${files[i]} is ${img.height}x${img.width} but ${files[0]} is ${size[0]}x${size[1]}; pass size: [height, width] to resize them all`);
    }
    const per = channels * size[0] * size[1];
    x ??= new Float32Array(files.length * per);
    toCHW(img, channels, size, x, i * per);
  }
  const source = fromArrays({ x: { data: x!, shape: [files.length, channels, size![0], size![1]] }, y: Int32Array.from(labels) });
  return { source, classes, files };
}
