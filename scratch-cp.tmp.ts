import { createRequire } from 'node:module';
import { Tokenizer } from './packages/kaun-hf/src/tokenizer/index.js';
const require = createRequire(import.meta.url);
const R = require('tokenizers');
const r = R.Tokenizer.fromFile('fixtures/bert-tiny/tokenizer.json');
const b = Tokenizer.fromVocabFile('fixtures/bert-tiny/vocab.txt');
const inputs: string[] = []; const cps: number[] = [];
for (let cp = 0; cp <= 0x10FFFF; cp++) { if (cp >= 0xD800 && cp <= 0xDFFF) continue; inputs.push(`a${String.fromCodePoint(cp)}b`); cps.push(cp); }
const t0 = performance.now();
const encs = await r.encodeBatch(inputs);
console.log('rust ms', performance.now() - t0);
const diffs: Record<string, number[]> = {};
const t1 = performance.now();
for (let i = 0; i < inputs.length; i++) {
  const want = encs[i].getTokens().join(' ');
  const got = b.encode(inputs[i]).tokens.join(' ');
  if (want !== got) { const k = `${got} || ${want}`.replace(String.fromCodePoint(cps[i]), 'C'); (diffs[k] ??= []).push(cps[i]); }
}
console.log('ours ms', performance.now() - t1);
for (const [k, v] of Object.entries(diffs)) {
  // compress ranges
  const ranges: string[] = []; let s = v[0], p = v[0];
  for (const c of v.slice(1).concat([-5])) { if (c === p + 1) { p = c; continue; } ranges.push(s === p ? s.toString(16) : `${s.toString(16)}-${p.toString(16)}`); s = c; p = c; }
  console.log(v.length, k.slice(0, 80), ranges.slice(0, 30).join(','), ranges.length > 30 ? `... (${ranges.length} ranges)` : '');
}
