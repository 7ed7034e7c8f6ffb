/**
 * `@raven/nx`: NumPy-like arrays with autodiff over TensorFlow.js kernels.
 *
 * Importing the package selects a backend (see {@link backendInfo}); every function is then
 * synchronous. Tensors are TF.js tensors: free them with {@link dispose} or work in {@link scope}.
 *
 * @example
 * ```ts
 * import * as nx from '@raven/nx';
 * const x = nx.fromArray([[1, 2], [3, 4]]);
 * const y = nx.scope(() => nx.sum(nx.matmul(x, x), { axis: 1 }));
 * console.log(nx.toArray(y)); // [17, 37]
 * ```
 * @module @raven/nx
 */
import { initBackend } from './backend/select.js';
import { setDisposedCheck } from './disposed/guard.js';
import { registerApi } from './disposed/where.js';
import { installInspect } from './ops/inspect.js';
import * as self from './index.js';

await initBackend();
setDisposedCheck(true); // a freed tensor is a DisposedTensorError naming the function, not a crash in TF.js
registerApi(self);
installInspect(); // console.log(tensor) prints its values, like nx.format

export { backendInfo, useBackend, type BackendInfo, type BackendName, type NativeInfo } from './backend/select.js';
export * from './errors.js';
export { checkOptions, type OptionKeys } from './options.js';
export { isTensor, type Tensor, type DType, type Shape, type NestedArray, type TypedArray } from './tensor.js';
export * from './ops/creation.js';
export * from './ops/elementwise.js';
export * from './ops/reduction.js';
export * from './ops/shape.js';
export * from './ops/indexing.js';
export * from './ops/linalg.js';
export * from './ops/einsum.js';
export * from './ops/nn.js';
export * from './ops/adam-update.js';
export * from './ops/sparse-softmax-cross-entropy.js';
export * from './ops/memory.js';
export * from './ops/convert.js';
export * from './grad/autodiff.js';
export * from './grad/check.js';
export { jit, type Jitted, type JitOptions } from './jit/jit.js';
export { hostScalar, hostCheck, hostStatic, isTracing, type StaticValue } from './jit/host.js';
export * as random from './random/index.js';
export * as dtypes from './dtype/index.js';
export * as io from './io/index.js';
