/**
 * `pushToHub` serves every model family of the package through the shared `savePretrained`:
 * GPT-2 and Llama (sharded) fixtures pushed to the loopback Hub and loaded back by id with
 * `CausalLM.fromPretrained` give the same weights and logits; the card names the task and how to
 * load; a model and a save function together are refused.
 */
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import * as nx from '@raven/nx';
import { Ptree } from '@raven/kaun';
import { CausalLM, ModelLoadError, pushToHub } from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { rejection, tempDirs, USERS } from './_util.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../../../fixtures/${name}`, import.meta.url));

describe('pushToHub for causal language models', () => {
  let hub: HubServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    hub = await startHubServer({ repos: {}, users: USERS });
  });
  afterAll(async () => hub.close());
  afterEach(() => dirs.cleanup());
  const opts = () => ({ endpoint: hub.endpoint, token: 'hf_alice' });

  for (const [name, shards] of [['gpt2-tiny', undefined], ['llama-tiny', '100KB']] as const) {
    it(`${name}: pushed, then loaded back by id with the same weights and logits`, async () => {
      const local = await CausalLM.fromPretrained(fixture(name), { logger: false });
      const result = await pushToHub(`org/${name}`, { ...opts(), model: local.model, vars: local.vars, tokenizer: local.tokenizer!, ...(shards ? { maxShardSize: shards } : {}), modelCard: { baseModel: `raven-fixtures/${name}` } });
      expect(result).toMatchObject({ repoId: `org/${name}`, committed: true });
      const files = hub.files(`org/${name}`);
      expect(files).toEqual(expect.arrayContaining(['README.md', 'config.json', 'generation_config.json', 'tokenizer.json']));
      if (shards) expect(files).toContain('model.safetensors.index.json');
      const card = hub.fileBytes(`org/${name}`, 'README.md').toString();
      expect(card).toContain('pipeline_tag: text-generation');
      expect(card).toContain(`CausalLM.fromPretrained('org/${name}')`);

      const back = await CausalLM.fromPretrained(`org/${name}`, { ...opts(), cacheDir: dirs.make(), logger: false });
      const diff = nx.scope(() => Ptree.leaves(Ptree.map2(local.vars.params, back.vars.params, (a, b) => nx.max(nx.abs(nx.sub(a, b))))).map((t) => Number(nx.item(t))));
      expect(Math.max(...diff)).toBe(0);
      const inputIds = nx.fromArray([[1, 5, 9, 3]], { dtype: 'int32' });
      const a = nx.toArray(local.model.apply(local.vars, { inputIds }).y.logits);
      const b = nx.toArray(back.model.apply(back.vars, { inputIds }).y.logits);
      expect(b).toEqual(a);
    }, 120_000);
  }

  it('refuses a model together with a save function, and a model without vars', async () => {
    const local = await CausalLM.fromPretrained(fixture('gpt2-tiny'), { logger: false, tokenizer: false });
    const both = await rejection(pushToHub('org/x', { ...opts(), model: local.model, vars: local.vars, save: () => undefined }));
    expect(both).toBeInstanceOf(ModelLoadError);
    const noVars = await rejection(pushToHub('org/x', { ...opts(), model: local.model }));
    expect(noVars).toBeInstanceOf(ModelLoadError);
    expect(hub.repoState('org/x')).toBeUndefined();
  });
});
