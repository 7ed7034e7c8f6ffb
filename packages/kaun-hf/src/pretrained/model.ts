/**
 * What a Hugging Face format model tells the shared machinery: its transformers class, its
 * parameters in checkpoint order, and its configuration files. Every model family (BERT, GPT-2,
 * Llama, Gemma, ...) attaches one {@link HfDescriptor} to its layers, so one
 * {@link savePretrained} (and anything built on it, such as an upload to the Hub) serves them all.
 * @module
 */

/** One parameter of a Hugging Face model: its key (which is also its Ptree path) and shape. */
export interface ParamSpec<I extends string = string> {
  /** The Hugging Face key, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  path: string;
  /** Its shape, as transformers stores it (Linear weights `[out, in]`, GPT-2's Conv1D `[in, out]`). */
  shape: number[];
  /** How the parameter starts when initialised fresh (family-specific names). */
  init: I;
}

/** The description of a model that {@link savePretrained} writes in Hugging Face layout. */
export interface HfDescriptor {
  /** The transformers class, e.g. `'GPT2LMHeadModel'` (written to `config.json` `architectures`). */
  readonly architecture: string;
  /** The parameters in checkpoint order, with their Hugging Face keys and shapes. */
  paramSpecs(): ParamSpec[];
  /** `config.json` as transformers writes it. */
  configJson(): Record<string, unknown>;
  /** `generation_config.json`, for models that generate; `undefined` writes none. */
  generationConfigJson?(): Record<string, unknown> | undefined;
}

/** A model layer in Hugging Face format: it carries its {@link HfDescriptor}. */
export interface PretrainedModel {
  /** What {@link savePretrained} needs to write the model. */
  readonly hf: HfDescriptor;
}
