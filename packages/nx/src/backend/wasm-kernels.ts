/**
 * Kernels the TF.js wasm backend lacks or runs slowly, registered when wasm is activated.
 * @module
 */

/** Registers nx's extra wasm kernels once. @internal */
export function registerWasmKernels(): void {
  // filled in by the wasm-kernels work (Conv2DBackpropFilter, UnsortedSegmentSum, fast transposed BatchMatMul)
}
