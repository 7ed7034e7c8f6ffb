/** The trees of the crash tests: version `v` of 8 leaves, each 64 float32 values (256 bytes). */
import * as nx from '@raven/nx';

/** Leaves per tree. */
export const LEAVES = 8;
/** float32 values per leaf. */
export const PER_LEAF = 64;

/** Version `v`: leaf `i` holds `v * 1000 + i + j / 64` at position `j`. */
export function versionTree(v: number): Record<string, nx.Tensor> {
  const tree: Record<string, nx.Tensor> = {};
  for (let i = 0; i < LEAVES; i++) tree[`layer${i}`] = nx.fromArray(Float32Array.from({ length: PER_LEAF }, (_, j) => v * 1000 + i + j / 64));
  return tree;
}

/** The values version `v` holds, by key (to compare a load with). */
export function versionValues(v: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (let i = 0; i < LEAVES; i++) out[`layer${i}`] = Array.from(Float32Array.from({ length: PER_LEAF }, (_, j) => v * 1000 + i + j / 64));
  return out;
}

/** `maxShardSize` giving `n` shards of the tree (undefined: one file). */
export function shardLimit(n: number): number | undefined {
  return n <= 1 ? undefined : (LEAVES / n) * PER_LEAF * 4;
}

/** A tree of the same keys and shapes as {@link versionTree} with every value `v` (exact for v < 2^24). */
export function fillTree(v: number): Record<string, nx.Tensor> {
  const tree: Record<string, nx.Tensor> = {};
  for (let i = 0; i < LEAVES; i++) tree[`layer${i}`] = nx.fromArray(new Float32Array(PER_LEAF).fill(v));
  return tree;
}
