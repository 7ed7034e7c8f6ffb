/**
 * Child process of the concurrent-load test and bench: saves checkpoints into one folder over and
 * over until `stopFile` exists. Save number n of writer w is "version" v = 2n + w (w is 0 or 1):
 * every leaf is filled with v. The layout cycles through 1, 4 and 2 shards (and the shard names
 * with it), so loads meet every kind of replacement. Prints `saved n` after each save.
 */
import { existsSync } from 'node:fs';
import * as nx from '@raven/nx';
import { Checkpoint } from '@raven/kaun';
import { fillTree, shardLimit } from './crash-setup.js';

const [folder, writer, stopFile] = process.argv.slice(2);
const layouts = [1, 4, 2];
let n = 0;
while (!existsSync(stopFile!)) {
  const v = 2 * n + Number(writer);
  const tree = fillTree(v);
  await Checkpoint.save(folder!, tree, { maxShardSize: shardLimit(layouts[n % layouts.length]!) });
  nx.dispose(Object.values(tree));
  n++;
  process.stdout.write(`saved ${n}\n`);
}
