/**
 * Child process of crash.test.ts and bench/crash-sweep.ts: saves version `v` of a small tree
 * (8 float32 leaves of 64 values, 2 KB in all) to `path` as one file or `shards` shards. With
 * RAVEN_FAULT_AT=N the save kills itself at its N-th disk step (see nx.io.faultPoint).
 */
import { Checkpoint } from '@raven/kaun';
import { versionTree, shardLimit } from './crash-setup.js';

const [path, version, shards] = process.argv.slice(2);
const tree = versionTree(Number(version));
await Checkpoint.save(path!, tree, { maxShardSize: shardLimit(Number(shards)), metadata: { format: 'pt', version: String(version) } });
console.log('saved');
