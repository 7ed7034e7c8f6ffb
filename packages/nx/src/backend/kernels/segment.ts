/**
 * `UnsortedSegmentSum` for the wasm backend (missing from TF.js's; it is the gradient of
 * `gather`, so embeddings could not train). A scatter-add on the host over the wasm heap.
 * @module
 */
import { sizeOf, view, zeros, type Info, type KernelArgs } from './util.js';

/**
 * `UnsortedSegmentSum` with TF semantics: `segmentIds` is shaped like a prefix of `x`'s shape,
 * `out[s, ...] = sum of x[i, ...] over i with segmentIds[i] == s`; ids outside
 * `[0, numSegments)` are dropped. Inputs `x` (float32 or int32), `segmentIds` (int32); attr
 * `numSegments`. @returns `[numSegments, ...x.shape.slice(segmentIds.rank)]`, dtype of `x`.
 * @internal
 */
export function unsortedSegmentSum(args: KernelArgs): Info {
  const { backend } = args;
  const x = args.inputs['x']!;
  const ids = args.inputs['segmentIds']!;
  const numSegments = args.attrs?.['numSegments'] as number;
  const inner = x.shape.slice(ids.shape.length);
  const prefix = x.shape.slice(0, ids.shape.length);
  if (prefix.join() !== ids.shape.join()) {
    throw new Error(`nx wasm UnsortedSegmentSum: segmentIds shape [${ids.shape.join(', ')}] is not a prefix of x shape [${x.shape.join(', ')}]`);
  }
  const out = zeros(backend, [numSegments, ...inner], x.dtype);
  const rowLen = sizeOf(inner);
  const xv = view(backend, x);
  const iv = view(backend, ids);
  const ov = view(backend, out);
  const rows = iv.length;
  for (let r = 0; r < rows; r++) {
    const s = iv[r]!;
    if (s < 0 || s >= numSegments) continue;
    const src = r * rowLen;
    const dst = s * rowLen;
    for (let j = 0; j < rowLen; j++) ov[dst + j] += xv[src + j]!;
  }
  return out;
}
