/**
 * How Node prints a tensor: `console.log(x)` and `util.inspect(x)` show {@link format}'s
 * NumPy-like text (values, shape, dtype) instead of TF.js's internal fields. Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { format } from './convert.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Gives every tensor a Node inspect hook: `tensor([...], shape=[2, 2], dtype=float32)` (summarised
 * past 1000 elements), or `tensor(<disposed>, shape=..., dtype=...)` for a freed one. Idempotent.
 * @internal
 */
export function installInspect(): void {
  Object.defineProperty(tf.Tensor.prototype, INSPECT, {
    configurable: true,
    writable: true,
    value(this: tf.Tensor, depth: number, options: { indentationLvl?: number } | undefined): string {
      if (this.isDisposed) return `tensor(<disposed>, shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
      if (depth < 0) return `tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
      const text = format(this);
      // inside an object or array, continuation lines follow the indentation Node is at
      const pad = ' '.repeat(options?.indentationLvl ?? 0);
      return pad === '' ? text : text.split('\n').join(`\n${pad}`);
    },
  });
}
