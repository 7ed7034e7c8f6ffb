import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { expectTensor, lcg, sizeOf, values } from '../_helpers.js';

/** TF's 'same' padding for one axis: the output has ceil(n / s) positions, the odd pad after. */
function samePads(n: number, k: number, s: number, d: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

interface ConvCase { stride: [number, number]; dilation: [number, number]; pads: [[number, number], [number, number]]; groups: number }

/** Naive NCHW cross-correlation, the definition written out. */
function conv2dRef(x: number[], xs: number[], w: number[], ws: number[], o: ConvCase): { shape: number[]; v: number[] } {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [O, Cg, KH, KW] = ws as [number, number, number, number];
  const [[pt, pb], [pl, pr]] = o.pads;
  const OH = Math.floor((H + pt + pb - o.dilation[0] * (KH - 1) - 1) / o.stride[0]) + 1;
  const OW = Math.floor((W + pl + pr - o.dilation[1] * (KW - 1) - 1) / o.stride[1]) + 1;
  const perGroupOut = O / o.groups;
  const v: number[] = [];
  for (let n = 0; n < N; n++) for (let oc = 0; oc < O; oc++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    const g = Math.floor(oc / perGroupOut);
    let s = 0;
    for (let c = 0; c < Cg; c++) for (let p = 0; p < KH; p++) for (let q = 0; q < KW; q++) {
      const r = i * o.stride[0] + p * o.dilation[0] - pt;
      const col = j * o.stride[1] + q * o.dilation[1] - pl;
      if (r < 0 || r >= H || col < 0 || col >= W) continue;
      s += x[((n * C + g * Cg + c) * H + r) * W + col]! * w[((oc * Cg + c) * KH + p) * KW + q]!;
    }
    v.push(s);
  }
  return { shape: [N, O, OH, OW], v };
}

describe('softmax and logSoftmax', () => {
  it('match the definition along any axis and sum to one', () => {
    const data = [1, 2, 3, -1, 0, 1000];
    nx.scope(() => {
      const x = nx.fromArray(data, { shape: [2, 3] });
      const rowSoftmax = (r: number[]) => {
        const m = Math.max(...r);
        const e = r.map((v) => Math.exp(v - m));
        const s = e.reduce((a, b) => a + b, 0);
        return e.map((v) => v / s);
      };
      expectTensor(nx.softmax(x), [2, 3], [...rowSoftmax([1, 2, 3]), ...rowSoftmax([-1, 0, 1000])], 1e-6);
      const colSm = [0, 1, 2].map((j) => rowSoftmax([data[j]!, data[3 + j]!]));
      expectTensor(nx.softmax(x, 0), [2, 3], [colSm[0]![0]!, colSm[1]![0]!, colSm[2]![0]!, colSm[0]![1]!, colSm[1]![1]!, colSm[2]![1]!], 1e-6);
      const ls = nx.logSoftmax(x);
      const lref = [[1, 2, 3], [-1, 0, 1000]].flatMap((r) => {
        const m = Math.max(...r);
        const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
        return r.map((v) => v - lse);
      });
      expectTensor(ls, [2, 3], lref, 1e-5);
      expect(values(nx.logSoftmax(x, 0)).every(Number.isFinite)).toBe(true);
      expectTensor(nx.softmax(nx.fromArray([1, 2], { dtype: 'int32' })), [2], rowSoftmax([1, 2]), 1e-6);
    });
  });
});

describe('conv2d and conv1d', () => {
  const x2 = { shape: [2, 4, 7, 6], v: lcg(1)(2 * 4 * 7 * 6) };
  const cases: Array<[string, nx.Conv2dOptions, number[]]> = [
    ['valid, stride 1', {}, [3, 4, 3, 3]],
    ['same, stride 1, even kernel', { padding: 'same' }, [3, 4, 2, 2]],
    ['stride 2, valid', { stride: 2 }, [3, 4, 3, 2]],
    ['stride [2, 3], same', { stride: [2, 3], padding: 'same' }, [2, 4, 3, 3]],
    ['dilation 2, valid', { dilation: 2 }, [2, 4, 3, 2]],
    ['dilation 2, same', { dilation: [2, 1], padding: 'same' }, [2, 4, 3, 3]],
    ['stride 2 with dilation 2', { stride: 2, dilation: 2 }, [2, 4, 2, 2]],
    ['stride 2, dilation 2, same', { stride: 2, dilation: 2, padding: 'same' }, [2, 4, 3, 3]],
    ['explicit pads', { padding: [[1, 0], [2, 1]] }, [2, 4, 3, 3]],
    ['groups 2', { groups: 2 }, [4, 2, 3, 3]],
  ];
  for (const [name, opts, wShape] of cases) {
    it(`conv2d ${name} matches the naive convolution`, () => {
      const w = { shape: wShape, v: lcg(2)(sizeOf(wShape)) };
      const stride = typeof opts.stride === 'number' ? [opts.stride, opts.stride] : opts.stride ?? [1, 1];
      const dilation = typeof opts.dilation === 'number' ? [opts.dilation, opts.dilation] : opts.dilation ?? [1, 1];
      const pads: [[number, number], [number, number]] =
        opts.padding === 'same'
          ? [samePads(7, wShape[2]!, stride[0]!, dilation[0]!), samePads(6, wShape[3]!, stride[1]!, dilation[1]!)]
          : Array.isArray(opts.padding) ? [opts.padding[0]!, opts.padding[1]!] : [[0, 0], [0, 0]];
      const want = conv2dRef(x2.v, x2.shape, w.v, w.shape, { stride: stride as [number, number], dilation: dilation as [number, number], pads, groups: opts.groups ?? 1 });
      nx.scope(() => {
        const got = nx.conv2d(nx.fromArray(x2.v, { shape: x2.shape }), nx.fromArray(w.v, { shape: w.shape }), opts);
        expectTensor(got, want.shape, want.v, 1e-4);
        if (opts.padding === 'same' && stride[0] === 1 && stride[1] === 1) expect(got.shape.slice(2)).toEqual([7, 6]);
      });
    });
  }

  it('conv1d is conv2d over a length axis: stride, same padding, dilation, explicit pads', () => {
    const x = lcg(5)(2 * 3 * 9);
    const w = lcg(6)(4 * 3 * 3);
    const ref = (o: ConvCase) => conv2dRef(x, [2, 3, 1, 9], w, [4, 3, 1, 3], o);
    const c = (stride: number, dilation: number, pad: [number, number]): ConvCase => ({ stride: [1, stride], dilation: [1, dilation], pads: [[0, 0], pad], groups: 1 });
    nx.scope(() => {
      const xt = nx.fromArray(x, { shape: [2, 3, 9] });
      const wt = nx.fromArray(w, { shape: [4, 3, 3] });
      const check = (got: nx.Tensor, want: { shape: number[]; v: number[] }) => expectTensor(got, [want.shape[0]!, want.shape[1]!, want.shape[3]!], want.v, 1e-4);
      check(nx.conv1d(xt, wt), ref(c(1, 1, [0, 0])));
      check(nx.conv1d(xt, wt, { stride: 2 }), ref(c(2, 1, [0, 0])));
      check(nx.conv1d(xt, wt, { padding: 'same' }), ref(c(1, 1, samePads(9, 3, 1, 1))));
      check(nx.conv1d(xt, wt, { dilation: 3 }), ref(c(1, 3, [0, 0])));
      check(nx.conv1d(xt, wt, { padding: [2, 1] }), ref(c(1, 1, [2, 1])));
      check(nx.conv1d(xt, wt, { padding: [[2, 1]], stride: 2, dilation: 2 }), ref(c(2, 2, [2, 1])));
    });
  });

  it('errors name the op and both shapes', () => {
    const x = nx.zeros([1, 3, 5, 5]);
    const w = nx.zeros([2, 4, 3, 3]);
    expect(() => nx.conv2d(x, w)).toThrow(nx.ShapeError);
    expect(() => nx.conv2d(x, w)).toThrow(/nx\.conv2d: input has 3 channels but the filters expect 4 \(x \[1, 3, 5, 5\], w \[2, 4, 3, 3\]\)/);
    expect(() => nx.conv2d(nx.zeros([3, 5, 5]), w)).toThrow(/conv2d: expected x \[N, C, H, W\] and w \[O, C, kh, kw\], got \[3, 5, 5\] and \[2, 4, 3, 3\]/);
    expect(() => nx.conv2d(x, nx.zeros([2, 3, 7, 7]))).toThrow(/padded input 5x5 is smaller than the dilated kernel 7x7/);
    expect(() => nx.conv2d(x, nx.zeros([2, 3, 3, 3]), { stride: 0 })).toThrow(/conv2d: stride must be a positive integer/);
    expect(() => nx.conv1d(nx.zeros([1, 3, 5]), nx.zeros([2, 2, 3]))).toThrow(/nx\.conv1d: input has 3 channels but the filters expect 2/);
    expect(() => nx.conv2d(nx.cast(x, 'int32'), w)).toThrow(/conv2d: x has dtype int32; expected float32/);
    nx.dispose([x, w]);
  });
});

describe('pooling', () => {
  /** Naive NCHW pooling; 'same' pads per TF, the padding never wins a max nor counts in a mean. */
  function poolRef(kind: 'max' | 'avg', x: number[], s: number[], k: [number, number], st: [number, number], same: boolean): { shape: number[]; v: number[] } {
    const [N, C, H, W] = s as [number, number, number, number];
    const [pt] = same ? samePads(H, k[0], st[0], 1) : [0];
    const [pl] = same ? samePads(W, k[1], st[1], 1) : [0];
    const OH = same ? Math.ceil(H / st[0]) : Math.floor((H - k[0]) / st[0]) + 1;
    const OW = same ? Math.ceil(W / st[1]) : Math.floor((W - k[1]) / st[1]) + 1;
    const v: number[] = [];
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
      const win: number[] = [];
      for (let p = 0; p < k[0]; p++) for (let q = 0; q < k[1]; q++) {
        const r = i * st[0] + p - pt!;
        const col = j * st[1] + q - pl!;
        if (r >= 0 && r < H && col >= 0 && col < W) win.push(x[((n * C + c) * H + r) * W + col]!);
      }
      v.push(kind === 'max' ? Math.max(...win) : win.reduce((a, b) => a + b, 0) / win.length);
    }
    return { shape: [N, C, OH, OW], v };
  }

  const shape = [2, 3, 5, 6];
  const data = lcg(9)(sizeOf(shape));
  const pcases: Array<[string, nx.Pool2dOptions, [number, number], [number, number], boolean]> = [
    ['2x2, default stride', { kernelSize: 2 }, [2, 2], [2, 2], false],
    ['3x2, stride 1', { kernelSize: [3, 2], stride: 1 }, [3, 2], [1, 1], false],
    ['3x3, stride 2, same', { kernelSize: 3, stride: 2, padding: 'same' }, [3, 3], [2, 2], true],
  ];
  for (const [name, opts, k, st, same] of pcases) {
    it(`maxPool2d and avgPool2d ${name} match the naive pooling`, () => {
      nx.scope(() => {
        const x = nx.fromArray(data, { shape });
        const mx = poolRef('max', data, shape, k, st, same);
        expectTensor(nx.maxPool2d(x, opts), mx.shape, mx.v, 1e-6);
        const av = poolRef('avg', data, shape, k, st, same);
        expectTensor(nx.avgPool2d(x, opts), av.shape, av.v, 1e-5);
      });
    });
  }

  it('pooling errors', () => {
    const x = nx.zeros([1, 1, 2, 2]);
    expect(() => nx.maxPool2d(x, { kernelSize: 3 })).toThrow(/maxPool2d: window 3x3 is larger than the input 2x2/);
    expect(() => nx.avgPool2d(nx.zeros([2, 2]), { kernelSize: 1 })).toThrow(/avgPool2d: expected \[N, C, H, W\], got \[2, 2\]/);
    expect(() => nx.maxPool2d(x, { kernelSize: 0 })).toThrow(/kernelSize must be a positive integer/);
    nx.dispose(x);
  });
});
