// Misspelt option names in the Hub client, the tokenizer and BERT loading are errors naming the
// key and the closest valid one, raised before any network or file work (nested `retry`, `lock`
// and `config` overrides included).
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Bert, clearCache, downloadFile, type HubOptions, loadConfig, loadWeights, resolveHubConfig, Tokenizer } from '@raven/kaun-hf';
import { BERT_TINY, rejection } from './hub/_util.js';

// nothing listens here: a call that got past the option check would fail with a network error
const NOWHERE: HubOptions = { endpoint: 'http://127.0.0.1:9', retry: { maxRetries: 0 } };

describe('kaun-hf functions check their option names', () => {
  it('Hub calls fail on an unknown option before any request', async () => {
    const e = await rejection(loadConfig('org/model', { ...NOWHERE, revison: 'main' } as HubOptions));
    expect(e).toBeInstanceOf(nx.OptionError);
    expect(e.message).toMatch(/^loadConfig: unknown option "revison"; did you mean "revision"\?/);
    expect((await rejection(loadWeights('org/model', { ...NOWHERE, cache_dir: '/tmp' } as HubOptions))).message).toMatch(/^loadWeights: unknown option "cache_dir"; did you mean "cacheDir"\?/);
    expect((await rejection(downloadFile({ ...NOWHERE, modelId: 'org/model', filename: 'config.json', fileName: 'x' } as never))).message).toMatch(/^downloadFile: unknown option "fileName"; did you mean "filename"\?/);
    expect((await rejection(clearCache({ model: 'org/model' } as never))).message).toMatch(/^clearCache: unknown option "model"; did you mean "modelId"\?/);
  });

  it('nested retry and lock settings are checked too', () => {
    expect(() => resolveHubConfig({ retry: { retries: 3 } } as HubOptions)).toThrow(/^HubOptions\.retry: unknown option "retries"; did you mean "maxRetries"\?/);
    expect(() => resolveHubConfig({ lock: { stale: 1 } } as HubOptions)).toThrow(/^HubOptions\.lock: unknown option "stale"; did you mean "staleMs"\?/);
  });

  it('fromPretrained checks its options and its config overrides', async () => {
    const e = await rejection(Bert.fromPretrained(BERT_TINY, { num_labels: 3, logger: false } as Bert.FromPretrainedOptions));
    expect(e).toBeInstanceOf(nx.OptionError);
    expect(e.message).toMatch(/^Bert\.fromPretrained: unknown option "num_labels"; did you mean "numLabels"\?/);
    const c = await rejection(Bert.fromPretrained(BERT_TINY, { config: { hidden_dropout_prb: 0 } as Partial<Bert.BertConfig>, logger: false }));
    expect(c.message).toMatch(/^Bert\.fromPretrained: config: unknown option "hidden_dropout_prb"; did you mean "hidden_dropout_prob"\?/);
  });

  it('the tokenizer checks encode and decode options', () => {
    const tok = Tokenizer.fromFolder(BERT_TINY);
    expect(() => tok.encode('hello', { max_length: 8 } as never)).toThrow(/^Tokenizer\.encode: unknown option "max_length"; did you mean "maxLength"\?/);
    expect(() => tok.encodeBatch(['a', 'b'], { pad: true } as never)).toThrow(/^Tokenizer\.encodeBatch: unknown option "pad"; did you mean "padding"\?/);
    expect(() => tok.decode([1, 2], { skipSpecial: true } as never)).toThrow(/^Tokenizer\.decode: unknown option "skipSpecial"; did you mean "skipSpecialTokens"\?/);
  });
});
