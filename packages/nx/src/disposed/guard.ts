/**
 * The check that a freed tensor is not used. Every TF.js operation, hence every nx function,
 * reaches the engine's `runKernel` with its input tensors; a freed one used to fail deep inside
 * the engine with `TypeError: Cannot read properties of undefined (reading 'backend')`. One check
 * there (a loop over the one to three inputs, reading a flag) covers every operation; the error
 * it raises names the nx function from the call stack, the tensor's shape and dtype, and the
 * usual cause. Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DisposedTensorError } from '../errors.js';
import { nxCaller } from './where.js';

type RunKernel = (kernelName: string, inputs: Record<string, unknown>, attrs?: unknown) => unknown;
interface Engine { runKernel: RunKernel }

let original: RunKernel | undefined;

/** The error for a freed tensor found among a kernel's inputs: the nx caller when one is on the stack. */
function disposedInput(kernel: string, input: string, t: tf.Tensor): DisposedTensorError {
  const caller = nxCaller();
  if (caller !== undefined) return new DisposedTensorError(caller.where, caller.argument, t);
  return new DisposedTensorError(`TF.js ${kernel}`, `'${input}'`, t);
}

/**
 * Turns the check on or off (on by default; off only to measure its cost). Idempotent.
 * @internal
 */
export function setDisposedCheck(on: boolean): void {
  const engine = tf.engine() as unknown as Engine;
  if (on && original === undefined) {
    const run = engine.runKernel;
    original = run;
    engine.runKernel = function checked(this: unknown, kernelName, inputs, attrs) {
      for (const k in inputs) {
        const t = inputs[k] as tf.Tensor | null | undefined;
        if (t != null && t.isDisposed === true) throw disposedInput(kernelName, k, t);
      }
      return run.call(this, kernelName, inputs, attrs);
    };
  } else if (!on && original !== undefined) {
    engine.runKernel = original;
    original = undefined;
  }
}

/** Whether the check is on. @internal */
export function disposedCheckOn(): boolean {
  return original !== undefined;
}
