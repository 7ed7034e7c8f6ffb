/**
 * Fast `BatchMatMul` and `_FusedMatMul` for the wasm backend.
 *
 * TF.js's wasm matmul uses XNNPACK only for one untransposed `[1, m, k] x [1, k, n]` product;
 * anything transposed or batched falls to a scalar loop at about 1 GFLOP/s (and that loop adds a
 * fused bias at the wrong index). These wrappers bring every case to the XNNPACK path: operands
 * are transposed explicitly, a batch against one shared matrix becomes one tall product, and a
 * batch against a batch runs one XNNPACK product per pair. Non-float32 operands (which the wasm
 * kernel rejects) are computed in float32 and cast back.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { castHost, free, reshape, run, sizeOf, transpose, view, zeros, type Info, type KernelArgs, type Wasm } from './util.js';

/**
 * Below this many multiply-adds per batch entry (`m*k*n`) a batch-by-batch product stays in
 * TF.js's own loop: one XNNPACK call costs about 8 us more, which pays off from about 32^3.
 */
const PER_BATCH_MIN_WORK = 32 * 32 * 32;

type MatMul = (a: Info, b: Info) => Info;

interface Operands {
  /** `a` as `[batchA, m, k]`, untransposed. */
  a: Info;
  /** `b` as `[batchB, k, n]`, untransposed. */
  b: Info;
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  /** Output shape the kernel must return. */
  outShape: number[];
}

function broadcastBatch(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

/** Brings both operands to untransposed 3-d form. Everything in the result must be freed. */
function prepare(backend: Wasm, a: Info, b: Info, transposeA: boolean, transposeB: boolean): Operands | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batchShape = broadcastBatch(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (k !== kb || batchShape === null) return null; // let TF.js report the error
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  const batch = sizeOf(batchShape);
  if (!(batchA === batch || batchA === 1) || !(batchB === batch || batchB === 1)) return null;
  const a3 = reshape(backend, a, transposeA ? [batchA, k, m] : [batchA, m, k]);
  const b3 = reshape(backend, b, transposeB ? [batchB, n, k] : [batchB, k, n]);
  const aU = transposeA ? transpose(backend, a3, [0, 2, 1]) : a3;
  const bU = transposeB ? transpose(backend, b3, [0, 2, 1]) : b3;
  if (aU !== a3) free(backend, a3);
  if (bU !== b3) free(backend, b3);
  return { a: aU, b: bU, batchA, batchB, m, k, n, outShape: [...batchShape, m, n] };
}

/**
 * Product of untransposed `[batchA, m, k]` and `[batchB, k, n]` through the XNNPACK path of
 * `plain` (the original kernel called without transposes), returned as `[batch, m, n]`.
 */
function productUntransposed(backend: Wasm, plain: MatMul, o: Operands): Info {
  const { batchA, batchB, m, k, n } = o;
  if (batchB === 1) {
    // [batchA, m, k] x [k, n] is one [batchA*m, k] x [k, n] product
    const a1 = reshape(backend, o.a, [1, batchA * m, k]);
    const y = plain(a1, o.b);
    free(backend, a1);
    const out = reshape(backend, y, [batchA, m, n]);
    free(backend, y);
    return out;
  }
  if (batchA === 1) {
    // A x B[i] for each i: (B[i]^T A^T)^T, one [batchB*n, k] x [k, m] product
    const bt = transpose(backend, o.b, [0, 2, 1]);
    const bt1 = reshape(backend, bt, [1, batchB * n, k]);
    const at = transpose(backend, o.a, [0, 2, 1]);
    const yt = plain(bt1, at);
    free(backend, bt, bt1, at);
    const yt3 = reshape(backend, yt, [batchB, n, m]);
    const out = transpose(backend, yt3, [0, 2, 1]);
    free(backend, yt, yt3);
    return out;
  }
  // one XNNPACK product per batch entry; XNNPACK caches packed weights by tensor id, so each
  // right operand must be a fresh tensor
  const out = backend.makeOutput([batchA, m, n], 'float32');
  const ai = backend.makeOutput([1, m, k], 'float32');
  for (let i = 0; i < batchA; i++) {
    const bi = backend.makeOutput([1, k, n], 'float32');
    view(backend, ai).set(view(backend, o.a).subarray(i * m * k, (i + 1) * m * k));
    view(backend, bi).set(view(backend, o.b).subarray(i * k * n, (i + 1) * k * n));
    const yi = plain(ai, bi);
    view(backend, out).set(view(backend, yi), i * m * n);
    free(backend, yi, bi);
  }
  free(backend, ai);
  return out;
}

/**
 * `A B^T` for a few rows of `A` against one large matrix `B` (a linear layer's weight `[out, in]`
 * at batch 1, a language model's head in generation) as `(B A^T)^T`: transposing the few rows and
 * the small result costs far less than a transposed copy of `B`, which XNNPACK would also have to
 * repack on every call (it caches packed right operands by tensor id, and the copy is new each
 * time). Measured on the 50,257 x 768 head of GPT-2 at one row: about 10 times faster. `null`
 * when the shapes do not call for it.
 */
function fewRowsTimesTransposed(backend: Wasm, plain: MatMul, a: Info, b: Info): Info | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2 || !isSingle(b)) return null;
  const k = a.shape[ra - 1]!;
  const n = b.shape[rb - 2]!;
  const rows = sizeOf(a.shape.slice(0, -1));
  if (b.shape[rb - 1] !== k || rows === 0 || k === 0 || n === 0) return null;
  if (rows * (k + n) * 4 > n * k) return null; // the weight's copy is the cheaper one
  const batchShape = broadcastBatch(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (batchShape === null) return null;
  const a2 = reshape(backend, a, [1, rows, k]);
  const at = transpose(backend, a2, [0, 2, 1]);
  const b2 = reshape(backend, b, [1, n, k]);
  const yt = plain(b2, at); // [1, n, rows]
  const y = transpose(backend, yt, [0, 2, 1]);
  const out = reshape(backend, y, [...batchShape, a.shape[ra - 2]!, n]);
  free(backend, a2, at, b2, yt, y);
  return out;
}

/** Whether both operands hold several matrices, each product too small for one XNNPACK call. */
function smallBatches(a: Info, b: Info, transposeA: boolean, transposeB: boolean): boolean {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (sizeOf(a.shape.slice(0, -2)) === 1 || sizeOf(b.shape.slice(0, -2)) === 1) return false;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  return m * k * n < PER_BATCH_MIN_WORK;
}

/**
 * The zero result of a product with nothing to sum (`k = 0`, where XNNPACK refuses to build an
 * operator and TF.js returns uninitialised memory) or nothing to compute; `null` otherwise.
 */
function emptyProduct(backend: Wasm, a: Info, b: Info, transposeA: boolean, transposeB: boolean): Info | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  if (k !== 0 && sizeOf(a.shape) !== 0 && sizeOf(b.shape) !== 0) return null;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batch = broadcastBatch(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (batch === null) return null; // let TF.js report the error
  return zeros(backend, [...batch, m, n], a.dtype);
}

/** Whether `x` is one matrix (every axis before the last two has length 1). */
function isSingle(x: Info): boolean {
  for (let i = 0; i < x.shape.length - 2; i++) if (x.shape[i] !== 1) return false;
  return true;
}

function asFloat(backend: Wasm, x: Info, temps: Info[]): Info {
  if (x.dtype === 'float32') return x;
  const f = castHost(backend, x, 'float32');
  temps.push(f);
  return f;
}

/**
 * Wraps the wasm `BatchMatMul` kernel function `original` so that every case runs on XNNPACK.
 * @internal
 */
export function fastBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  const kernel = (args: KernelArgs): Info => {
    const { backend } = args;
    const transposeA = args.attrs?.['transposeA'] === true;
    const transposeB = args.attrs?.['transposeB'] === true;
    const a0 = args.inputs['a']!;
    const b0 = args.inputs['b']!;
    const empty = emptyProduct(backend, a0, b0, transposeA, transposeB);
    if (empty !== null) return empty;
    if (!transposeA && !transposeB && a0.dtype === 'float32' && b0.dtype === 'float32' && isSingle(a0) && isSingle(b0)) {
      return original(args as never) as Info; // already XNNPACK's case
    }
    const temps: Info[] = [];
    const a = asFloat(backend, a0, temps);
    const b = asFloat(backend, b0, temps);
    const plain: MatMul = (x, y) => original({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } }) as Info;
    const few = transposeB && !transposeA ? fewRowsTimesTransposed(backend, plain, a, b) : null;
    const o = few !== null || smallBatches(a, b, transposeA, transposeB) ? null : prepare(backend, a, b, transposeA, transposeB);
    let out: Info;
    if (few !== null) {
      out = few;
    } else if (o === null) {
      out = original({ inputs: { a, b }, backend, attrs: { transposeA, transposeB } }) as Info;
    } else {
      const y = productUntransposed(backend, plain, o);
      out = reshape(backend, y, o.outShape);
      free(backend, y, o.a, o.b);
    }
    free(backend, ...temps);
    if (a0.dtype !== 'float32') {
      const cast = castHost(backend, out, a0.dtype as 'int32' | 'bool');
      free(backend, out);
      out = cast;
    }
    return out;
  };
  return kernel as unknown as tf.KernelFunc;
}

const ACTIVATIONS: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid' };

function activate(backend: Wasm, y: Info, attrs: tf.NamedAttrMap, prelu: Info | undefined): Info {
  const act = (attrs['activation'] as string | undefined) ?? 'linear';
  if (act === 'linear') return y;
  let out: Info;
  if (act === 'prelu') out = run(backend, 'Prelu', { x: y, alpha: prelu! });
  else if (act === 'leakyrelu') out = run(backend, 'LeakyRelu', { x: y }, { alpha: (attrs['leakyreluAlpha'] as number | undefined) ?? 0.2 });
  else {
    const name = ACTIVATIONS[act];
    if (name === undefined) throw new Error(`nx wasm _FusedMatMul: activation ${act} is not supported`);
    out = run(backend, name, { x: y });
  }
  free(backend, y);
  return out;
}

/**
 * Wraps the wasm `_FusedMatMul` kernel function `original` (matmul + bias + activation): the
 * single-matrix case runs fused on XNNPACK after explicit transposes, every other case as the
 * fast {@link fastBatchMatMul} followed by a broadcasting bias add and the activation.
 * @internal
 */
export function fastFusedMatMul(original: tf.KernelFunc, batchMatMul: tf.KernelFunc): tf.KernelFunc {
  const kernel = (args: KernelArgs): Info => {
    const { backend } = args;
    const attrs = args.attrs ?? {};
    const transposeA = attrs['transposeA'] === true;
    const transposeB = attrs['transposeB'] === true;
    const { a, b, bias, preluActivationWeights } = args.inputs;
    const act = (attrs['activation'] as string | undefined) ?? 'linear';
    const o = a!.dtype === 'float32' && b!.dtype === 'float32' ? prepare(backend, a!, b!, transposeA, transposeB) : null;
    const biasFits = bias === undefined || (bias.shape.length === 1 && bias.shape[0] === o?.n);
    if (o !== null && o.k > 0 && o.m > 0 && o.n > 0 && o.batchA > 0 && o.batchB === 1 && biasFits && (act in ACTIVATIONS || act === 'linear' || act === 'prelu' || act === 'leakyrelu')) {
      const a1 = reshape(backend, o.a, [1, o.batchA * o.m, o.k]);
      const inputs: Record<string, Info> = { a: a1, b: o.b };
      if (bias !== undefined) inputs['bias'] = bias;
      if (preluActivationWeights !== undefined) inputs['preluActivationWeights'] = preluActivationWeights;
      const y = original({ inputs, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as Info;
      const out = reshape(backend, y, o.outShape);
      free(backend, a1, y, o.a, o.b);
      return out;
    }
    if (o !== null) free(backend, o.a, o.b);
    let y = batchMatMul({ inputs: { a: a!, b: b! }, backend, attrs: { transposeA, transposeB } }) as Info;
    if (bias !== undefined) {
      const yb = run(backend, 'Add', { a: y, b: bias });
      free(backend, y);
      y = yb;
    }
    return activate(backend, y, attrs, preluActivationWeights);
  };
  return kernel as unknown as tf.KernelFunc;
}
