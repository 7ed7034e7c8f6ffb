/**
 * Run in a fresh process by push.test.ts: loads a BERT by id (`argv[2]`) from the Hub that
 * HF_ENDPOINT names, into an empty cache (RAVEN_CACHE_ROOT), and prints its logits for the
 * texts in `argv[3]` (JSON) and the files it fetched.
 */
import * as nx from '@raven/nx';
import { Bert, listCache } from '@raven/kaun-hf';

const [source, textsJson] = process.argv.slice(2) as [string, string];
const texts = JSON.parse(textsJson) as string[];
const { model, vars, tokenizer } = await Bert.fromPretrained(source, { logger: false });
const { y } = model.apply(vars, tokenizer!.encodeBatch(texts, { maxLength: 32 }));
const files = (await listCache()).flatMap((r) => r.snapshots.flatMap((s) => s.files.map((f) => f.path)));
process.stdout.write(`${JSON.stringify({ logits: nx.toArray(y.logits), files: files.sort() })}\n`);
