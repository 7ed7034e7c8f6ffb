/** Reads fixtures/torch-toolkit/reference.json (PyTorch's numbers, see its PROVENANCE.md). */
import { readFileSync } from 'node:fs';
import * as nx from '@raven/nx';

/** A tensor as the fixture stores it. */
export interface TT { shape: number[]; data: number[] }

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const torchRef: any = JSON.parse(readFileSync(new URL('../../../../fixtures/torch-toolkit/reference.json', import.meta.url), 'utf8'));

/** The fixture tensor as a float32 tensor. */
export function tensor(t: TT): nx.Tensor {
  return nx.fromArray(Float32Array.from(t.data), { shape: t.shape });
}
