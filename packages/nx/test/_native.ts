/**
 * Helpers for the nx tests that look inside the native backend: the TensorFlow ops tfjs-node's
 * binding executes, and the FunctionDefs `nx.jit` registered. Only meaningful on `tensorflow`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The TensorFlow ops the binding executes while `fn` runs (its `executeOp` shadowed, as nx.jit's trace does). */
export function opsRun(fn: () => void): string[] {
  type Binding = { executeOp(name: string, ...rest: unknown[]): unknown };
  const backend = tf.backend() as unknown as { binding: Binding };
  const binding = backend.binding;
  const names: string[] = [];
  // the binding's own properties are read-only: shadow executeOp in a derived object
  const executeOp = (name: string, ...rest: unknown[]): unknown => {
    names.push(name);
    return binding.executeOp(name, ...rest);
  };
  backend.binding = Object.create(binding, { executeOp: { value: executeOp } }) as Binding;
  try {
    fn();
  } finally {
    backend.binding = binding;
  }
  return names;
}

/**
 * The FunctionDef `nx.jit` registered for a function named `label` (`raven_jit_<n>_<label>`), as
 * TensorFlow holds it, as latin1 text (op names are readable in it); undefined when there is none.
 */
export function registeredFunctionDefText(label: string): string | undefined {
  const raven = (tf.backend() as unknown as { binding: { raven: { jitFunctionDef(name: string): Uint8Array } } }).binding.raven;
  for (let n = 0; n < 10_000; n++) {
    try {
      return Buffer.from(raven.jitFunctionDef(`raven_jit_${n}_${label}`)).toString('latin1');
    } catch {
      // another number
    }
  }
  return undefined;
}
