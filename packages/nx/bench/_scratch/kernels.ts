import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
const cpu = tf.getKernelsForBackend('cpu').map(k => k.kernelName);
const wasm = new Set(tf.getKernelsForBackend('wasm').map(k => k.kernelName));
console.log('cpu', cpu.length, 'wasm', wasm.size);
console.log('missing on wasm:', cpu.filter(k => !wasm.has(k)).join(' '));
// gradient registry: which kernels have gradients
const grads = (tf as any).getGradient;
