/**
 * Kernels of the TF.js cpu backend that nx replaces because they get a result wrong (TF.js
 * 4.22): `AvgPoolGrad` (see `avg-pool-grad.ts`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { avgPoolGradCpu } from './avg-pool-grad.js';

let registered = false;

/**
 * Registers nx's cpu kernels once; later calls do nothing. Called before the cpu backend is
 * activated.
 * @internal
 */
export function registerCpuKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('AvgPoolGrad', 'cpu') !== undefined) tf.unregisterKernel('AvgPoolGrad', 'cpu');
  tf.registerKernel({ kernelName: 'AvgPoolGrad', backendName: 'cpu', kernelFunc: avgPoolGradCpu as unknown as tf.KernelFunc });
}
