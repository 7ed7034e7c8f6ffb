/**
 * Wrappers around TF.js wasm kernels that give wrong results or corrupt the wasm heap for some
 * dtypes (found by comparing with the cpu backend, TF.js 4.22):
 * - `Cast` to bool stores the value modulo 256 (`0.5 -> false`, `-2 -> 254`): now `x != 0`.
 * - `Reverse` of bool reads 4-byte elements (garbage, then out-of-bounds memory): via int32.
 * - `OneHot` always writes int32 bits, whatever the dtype (float32 one-hots are garbage).
 * - `StridedSlice` with steps copies 4-byte words and labels the result float32, so int32
 *   slices come back reinterpreted and bool slices read out of bounds; with a shrunk axis it
 *   reads the wrong elements (as the cpu backend does): done on the host, with TF's semantics.
 * - `Cumsum` rejects bool: summed as int32, as the cpu backend does.
 * - `Select` with bool branches writes 4-byte elements past the output: via int32.
 * - `ClipByValue` reads int32 data as floats: clipped in float32.
 * - int32 `Mod` by zero traps ("remainder by zero"), `FloorDiv`/`RealDiv` give -2^31: 0, as on cpu.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { castHost, free, run, sizeOf, view, type Info, type KernelArgs } from './util.js';

type Wrap = (original: tf.KernelFunc) => tf.KernelFunc;
const asKernel = (f: (args: KernelArgs) => Info): tf.KernelFunc => f as unknown as tf.KernelFunc;
const call = (original: tf.KernelFunc, args: KernelArgs): Info => original(args as never) as Info;

/** `Cast`: to bool is `x != 0` (NaN is true). @internal */
export const castFix: Wrap = original => asKernel(args => {
  const x = args.inputs['x']!;
  if (args.attrs?.['dtype'] === 'bool' && x.dtype !== 'bool') return castHost(args.backend, x, 'bool');
  return call(original, args);
});

/** `Reverse`: bool goes through int32. @internal */
export const reverseFix: Wrap = original => asKernel(args => {
  const x = args.inputs['x']!;
  if (x.dtype !== 'bool') return call(original, args);
  const xi = castHost(args.backend, x, 'int32');
  const yi = call(original, { ...args, inputs: { x: xi } });
  const y = castHost(args.backend, yi, 'bool');
  free(args.backend, xi, yi);
  return y;
});

/** `OneHot`: computed as int32, converted to the requested dtype. @internal */
export const oneHotFix: Wrap = original => asKernel(args => {
  const dtype = (args.attrs?.['dtype'] as string | undefined) ?? 'int32';
  if (dtype === 'int32') return call(original, args);
  const yi = call(original, { ...args, attrs: { ...args.attrs, dtype: 'int32' } });
  const y = castHost(args.backend, yi, dtype as 'float32' | 'bool');
  free(args.backend, yi);
  return y;
});

/** `StridedSlice`: the general (non-contiguous) case runs on the host. @internal */
export const stridedSliceFix: Wrap = original => asKernel(args => {
  const x = args.inputs['x']!;
  const a = args.attrs ?? {};
  const info = tf.slice_util.sliceInfo(
    x.shape, a['begin'] as number[], a['end'] as number[], a['strides'] as number[], a['beginMask'] as number,
    a['endMask'] as number, a['ellipsisMask'] as number, a['newAxisMask'] as number, a['shrinkAxisMask'] as number,
  );
  if (info.isIdentity || info.sliceDim0 || info.isSimpleSlice) return call(original, args);
  // walk the sliced region per input axis (shrunk axes have length 1), in row-major order
  const sizes = x.shape.map((_, d) => Math.max(0, Math.ceil((info.end[d]! - info.begin[d]!) / info.strides[d]!)));
  if (sizeOf(sizes) !== sizeOf(info.finalShape)) return call(original, args);
  const { backend } = args;
  const out = backend.makeOutput(info.finalShape, x.dtype);
  const xStrides = [...tf.util.computeStrides(x.shape), 1];
  const xv = view(backend, x);
  const ov = view(backend, out);
  const loc = new Array<number>(sizes.length).fill(0);
  const total = sizeOf(sizes);
  for (let i = 0; i < total; i++) {
    let src = 0;
    for (let d = 0; d < sizes.length; d++) src += (info.begin[d]! + loc[d]! * info.strides[d]!) * xStrides[d]!;
    ov[i] = xv[src]!;
    for (let d = sizes.length - 1; d >= 0; d--) {
      if (++loc[d]! < sizes[d]!) break;
      loc[d] = 0;
    }
  }
  return out;
});

/** `Cumsum`: bool is summed as int32. @internal */
export const cumsumFix: Wrap = original => asKernel(args => {
  const x = args.inputs['x']!;
  if (x.dtype !== 'bool') return call(original, args);
  const xi = castHost(args.backend, x, 'int32');
  const y = call(original, { ...args, inputs: { x: xi } });
  free(args.backend, xi);
  return y;
});

/** int32 `Mod`, `FloorDiv`, `RealDiv`: 0 where the divisor is 0 (the cpu backend's result). @internal */
export const intDivisionFix: Wrap = original => asKernel(args => {
  const { backend } = args;
  const a = args.inputs['a']!;
  const b = args.inputs['b']!;
  if (b.dtype !== 'int32' || a.dtype !== 'int32' || !view(backend, b).includes(0)) return call(original, args);
  const safe = backend.makeOutput(b.shape, 'int32');
  const nonZero = backend.makeOutput(b.shape, 'int32');
  const bv = view(backend, b);
  const sv = view(backend, safe);
  const nv = view(backend, nonZero);
  for (let i = 0; i < bv.length; i++) {
    sv[i] = bv[i] === 0 ? 1 : bv[i]!;
    nv[i] = bv[i] === 0 ? 0 : 1;
  }
  const q = call(original, { ...args, inputs: { a, b: safe } });
  const out = run(backend, 'Multiply', { a: q, b: nonZero });
  free(backend, safe, nonZero, q);
  return out;
});

/** `Select`: bool branches go through int32 (the wasm kernel writes 4-byte elements). @internal */
export const selectFix: Wrap = original => asKernel(args => {
  const { t, e, condition } = args.inputs;
  if (t!.dtype !== 'bool') return call(original, args);
  const ti = castHost(args.backend, t!, 'int32');
  const ei = castHost(args.backend, e!, 'int32');
  const yi = call(original, { ...args, inputs: { condition: condition!, t: ti, e: ei } });
  const y = castHost(args.backend, yi, 'bool');
  free(args.backend, ti, ei, yi);
  return y;
});

/** `ClipByValue`: int32 is clipped in float32 and truncated back (the wasm kernel reads floats). @internal */
export const clipFix: Wrap = original => asKernel(args => {
  const x = args.inputs['x']!;
  if (x.dtype === 'float32') return call(original, args);
  const xf = castHost(args.backend, x, 'float32');
  const yf = call(original, { ...args, inputs: { x: xf } });
  const y = castHost(args.backend, yf, x.dtype as 'int32' | 'bool');
  free(args.backend, xf, yf);
  return y;
});
