/**
 * Chat templates: the Jinja template of a model (`chat_template.jinja`, or `chat_template` in
 * `tokenizer_config.json`) rendered with `@huggingface/jinja`, as transformers'
 * `apply_chat_template` renders it.
 * @module
 */
import { Template } from '@huggingface/jinja';

import { TokenizerError } from '../errors.js';

/** One message of a conversation. */
export interface ChatMessage {
  /** Who speaks: `'system'`, `'user'`, `'assistant'` (templates may know others, e.g. `'tool'`). */
  role: string;
  /** What was said. */
  content: string;
  /** Any other field a template reads (`name`, `tool_calls`, ...). */
  [key: string]: unknown;
}

/** Options of `Tokenizer.applyChatTemplate`. */
export interface ChatTemplateOptions {
  /** End with the header of the assistant's turn, so a model continues as the assistant. Default false. */
  addGenerationPrompt?: boolean;
  /** Tool descriptions, passed to the template as `tools`. Default: none. */
  tools?: unknown[];
  /** Further variables for the template (`date_string`, ...). Default: none. */
  variables?: Record<string, unknown>;
}

/** A parsed chat template, ready to render. @internal */
export class ChatTemplate {
  readonly #template: Template;

  /**
   * @param source - the Jinja text.
   * @throws TokenizerError when the text is not a valid template.
   */
  constructor(readonly source: string) {
    try {
      this.#template = new Template(source);
    } catch (e) {
      throw new TokenizerError(`Tokenizer: the chat template does not parse (${(e as Error).message}); fix chat_template.jinja or chat_template in tokenizer_config.json`, { cause: e });
    }
  }

  /**
   * Renders a conversation: the template sees `messages`, `add_generation_prompt`, `tools` and the
   * special tokens (`bos_token`, `eos_token`, ...), as in transformers.
   * @throws TokenizerError when the template raises or fails.
   */
  render(messages: readonly ChatMessage[], specialTokens: Record<string, string>, options: ChatTemplateOptions): string {
    const context: Record<string, unknown> = {
      ...specialTokens,
      ...(options.variables ?? {}),
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? false,
    };
    if (options.tools !== undefined) context['tools'] = options.tools;
    try {
      return this.#template.render(context);
    } catch (e) {
      throw new TokenizerError(`Tokenizer.applyChatTemplate: the chat template failed: ${(e as Error).message}`, { cause: e });
    }
  }
}

/**
 * The chat template of a `tokenizer_config.json` value: a string, or a list of named templates
 * (the one named `default`). @internal
 */
export function templateFromConfig(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((t) => typeof t === 'object' && t !== null && (t as { name?: unknown }).name === 'default') as { template?: unknown } | undefined;
    if (typeof named?.template === 'string') return named.template;
  }
  return undefined;
}
