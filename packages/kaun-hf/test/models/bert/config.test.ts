import { describe, expect, it } from 'vitest';
import { Bert, ModelLoadError } from '@raven/kaun-hf';

describe('Bert.parseConfig', () => {
  it("fills in transformers' BertConfig defaults (bert-base)", () => {
    const c = Bert.parseConfig({});
    expect(c).toMatchObject({
      model_type: 'bert', vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
      intermediate_size: 3072, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
      max_position_embeddings: 512, type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0,
      position_embedding_type: 'absolute', classifier_dropout: null, num_labels: 2, problem_type: null,
    });
    expect(c.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1' });
    expect(c.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1 });
  });

  it('takes labels from id2label (which wins over num_labels) and from overrides', () => {
    const c = Bert.parseConfig({ id2label: { '0': 'neg', '1': 'neu', '2': 'pos' }, num_labels: 2 });
    expect(c.num_labels).toBe(3);
    expect(c.label2id).toEqual({ neg: 0, neu: 1, pos: 2 });
    const d = Bert.parseConfig({ id2label: { '0': 'a', '1': 'b' } }, { num_labels: 1 });
    expect(d.num_labels).toBe(1);
    expect(d.id2label).toEqual({ 0: 'LABEL_0' });
    const e = Bert.parseConfig({ num_labels: 5 }, { id2label: { 0: 'ham', 1: 'spam' } });
    expect(e.num_labels).toBe(2);
  });

  it('keeps unknown keys and writes everything back', () => {
    const c = Bert.parseConfig({ hidden_size: 64, num_attention_heads: 4, transformers_version: '4.40.0', gradient_checkpointing: false });
    expect(c.extra).toEqual({ transformers_version: '4.40.0', gradient_checkpointing: false });
    const json = Bert.configToJson(c, 'BertModel');
    expect(json['architectures']).toEqual(['BertModel']);
    expect(json['transformers_version']).toBe('4.40.0');
    expect(json['id2label']).toEqual({ '0': 'LABEL_0', '1': 'LABEL_1' });
    expect(Bert.parseConfig(json)).toEqual({ ...c, architectures: ['BertModel'], extra: { ...c.extra, torch_dtype: 'float32' } });
  });

  it.each([
    [{ model_type: 'roberta' }, /model_type is "roberta"/],
    [{ hidden_act: 'mish' }, /hidden_act "mish" is not supported; use one of gelu, /],
    [{ position_embedding_type: 'relative_key' }, /only "absolute" position embeddings/],
    [{ hidden_size: 100, num_attention_heads: 12 }, /hidden_size 100 is not a multiple of num_attention_heads 12/],
    [{ num_hidden_layers: 0 }, /num_hidden_layers must be a positive integer, got 0/],
    [{ hidden_dropout_prob: 1 }, /hidden_dropout_prob must be a probability/],
    [{ problem_type: 'ranking' }, /problem_type must be one of regression/],
    [{ layer_norm_eps: -1 }, /layer_norm_eps must be a positive number/],
    [{ id2label: ['a', 'b'] }, /id2label must be an object/],
    [{ pad_token_id: 40000 }, /pad_token_id 40000 is outside the vocabulary/],
  ])('rejects %j', (json, message) => {
    expect(() => Bert.parseConfig(json as Record<string, unknown>)).toThrow(ModelLoadError);
    expect(() => Bert.parseConfig(json as Record<string, unknown>)).toThrow(message);
  });
});
