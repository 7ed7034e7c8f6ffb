/**
 * The wasm heap's 4 GiB limit is a clear, typed error before anything is allocated, and the
 * backend keeps working afterwards (instead of a tensor at address 0 overwriting the heap, or an
 * aborted module).
 */
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';

describe('wasm heap limit', () => {
  it('refuses a tensor that cannot fit, naming the limit and the native backend, and wasm still works', () => {
    const before = nx.memory().numTensors;
    let error: unknown;
    try {
      nx.zeros([2 ** 30 + 2 ** 28]); // 5 GiB of float32
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(nx.WasmHeapError);
    const e = error as nx.WasmHeapError;
    expect(e).toBeInstanceOf(nx.BackendError);
    expect(e.message).toMatch(/wasm heap's limit of 4\.00 GiB/);
    expect(e.message).toMatch(/raven-nx-native install/);
    expect(e.requestedBytes).toBe((2 ** 30 + 2 ** 28) * 4);
    expect(e.limitBytes).toBe(4294901760);
    expect(e.usable).toBe(true);
    expect(nx.memory().numTensors).toBe(before);
    // the backend is intact: an op after the refusal computes the right thing
    const y = nx.matmul(nx.fromArray([[1, 2], [3, 4]]), nx.fromArray([[5], [6]]));
    expect(nx.toArray(y)).toEqual([[17], [39]]);
  });

  it('counts live tensors: a request that fits alone but not beside what is live is refused too', () => {
    const live = nx.zeros([2 ** 27]); // 0.5 GiB live
    try {
      // 3.496 GiB would fit alone (under 4 GiB less the 0.25 GiB reserve), not beside the live 0.5 GiB
      expect(() => nx.zeros([7 * 2 ** 27 - 2 ** 20])).toThrow(/0\.50 GiB of tensors are live and a new one needs 3\.50 GiB/);
    } finally {
      nx.dispose(live);
    }
  });
});
