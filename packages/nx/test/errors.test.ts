import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';

function caught(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('error classes', () => {
  it('every nx error is an NxError with its name set and the cause passed on', () => {
    const cause = new Error('inner');
    for (const C of [nx.NxError, nx.ShapeError, nx.DTypeError, nx.ValueError, nx.BackendError, nx.IndexError]) {
      const e = new C('msg', { cause });
      expect(e).toBeInstanceOf(nx.NxError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(C.name);
      expect(e.cause).toBe(cause);
    }
  });

  it('shape errors name the operation and both shapes; dtype errors name the dtype', () => {
    nx.scope(() => {
      const a = nx.zeros([2, 3]);
      const b = nx.zeros([3, 2, 4]);
      const cases: Array<[() => unknown, typeof nx.NxError, RegExp]> = [
        [() => nx.sub(a, nx.zeros([5])), nx.ShapeError, /^nx\.sub: .*\[2, 3\].*\[5\]/],
        [() => nx.matmul(b, a), nx.ShapeError, /^nx\.matmul: .*\[3, 2, 4\].*\[2, 3\]/],
        [() => nx.einsum('ij,jk->ik', a, a), nx.ShapeError, /^nx\.einsum: .*\[2, 3\], \[2, 3\]/],
        [() => nx.concatenate([a, b]), nx.ShapeError, /^nx\.concatenate: .*\[2, 3\], \[3, 2, 4\]/],
        [() => nx.reshape(a, [4]), nx.ShapeError, /^nx\.reshape: .*\[2, 3\].*\[4\]/],
        [() => nx.conv2d(nx.zeros([1, 2, 4, 4]), nx.zeros([1, 3, 2, 2])), nx.ShapeError, /^nx\.conv2d: .*\[1, 2, 4, 4\].*\[1, 3, 2, 2\]/],
        [() => nx.logicalOr(a, a), nx.DTypeError, /^nx\.logicalOr: x has dtype float32/],
        [() => nx.where(nx.zeros([2], 'int32'), 1, 0), nx.DTypeError, /^nx\.where: cond has dtype int32/],
        [() => nx.take(a, nx.zeros([1])), nx.DTypeError, /^nx\.take: indices have dtype float32/],
        [() => nx.conv2d(nx.zeros([1, 1, 3, 3], 'int32'), nx.zeros([1, 1, 1, 1])), nx.DTypeError, /^nx\.conv2d: x has dtype int32/],
        [() => nx.random.categorical(nx.random.key(0), nx.zeros([3], 'int32')), nx.DTypeError, /categorical: logits has dtype int32/],
        [() => nx.grad((x) => nx.sum(x))(nx.zeros([2], 'bool')), nx.DTypeError, /argument 0 has dtype bool/],
        [() => nx.slice(a, [5]), nx.IndexError, /^nx\.slice: index 5 is out of bounds for axis 0 with length 2 \(x shape \[2, 3\]/],
      ];
      for (const [f, cls, re] of cases) {
        const e = caught(f);
        expect(e, e.message).toBeInstanceOf(cls);
        expect(e.message).toMatch(re);
      }
    });
  });
});
