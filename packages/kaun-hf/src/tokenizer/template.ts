/**
 * Post-processing templates: where the special tokens go around one text or a pair, and the
 * token type of each part (`TemplateProcessing`, `BertProcessing`, `RobertaProcessing`). Internal.
 * @internal
 * @module
 */
import { TokenizerError } from '../errors.js';

/** One part of a template. @internal */
export type TemplatePiece =
  | { kind: 'special'; ids: number[]; tokens: string[]; typeId: number }
  | { kind: 'sequence'; index: 0 | 1; typeId: number };

/** Templates for one text and for a pair. @internal */
export interface Template {
  single: TemplatePiece[];
  pair: TemplatePiece[];
}

/** A tokenized text without special tokens. @internal */
export interface Pieces {
  ids: number[];
  tokens: string[];
}

/** BERT's `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` with types 0 for A and 1 for B. @internal */
export function bertTemplate(cls: [string, number], sep: [string, number]): Template {
  const sp = (t: [string, number], typeId: number): TemplatePiece => ({ kind: 'special', ids: [t[1]], tokens: [t[0]], typeId });
  return {
    single: [sp(cls, 0), { kind: 'sequence', index: 0, typeId: 0 }, sp(sep, 0)],
    pair: [sp(cls, 0), { kind: 'sequence', index: 0, typeId: 0 }, sp(sep, 0), { kind: 'sequence', index: 1, typeId: 1 }, sp(sep, 1)],
  };
}

const EMPTY: Template = {
  single: [{ kind: 'sequence', index: 0, typeId: 0 }],
  pair: [
    { kind: 'sequence', index: 0, typeId: 0 },
    { kind: 'sequence', index: 1, typeId: 1 },
  ],
};

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function pair(v: unknown, what: string): [string, number] {
  if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number') return [v[0], v[1]];
  throw new TokenizerError(`Tokenizer: post_processor.${what} should be [token, id], got ${JSON.stringify(v)}`);
}

function templatePieces(list: unknown, specials: Json, where: string): TemplatePiece[] {
  if (!Array.isArray(list)) throw new TokenizerError(`Tokenizer: post_processor.${where} should be a list of pieces, got ${JSON.stringify(list)}`);
  return list.map((p): TemplatePiece => {
    if (isObj(p) && isObj(p.Sequence)) {
      const id = p.Sequence.id;
      if (id !== 'A' && id !== 'B') throw new TokenizerError(`Tokenizer: post_processor.${where}: sequence id should be "A" or "B", got ${JSON.stringify(id)}`);
      return { kind: 'sequence', index: id === 'A' ? 0 : 1, typeId: Number(p.Sequence.type_id ?? 0) };
    }
    if (isObj(p) && isObj(p.SpecialToken)) {
      const name = String(p.SpecialToken.id);
      const sp = specials[name];
      if (!isObj(sp) || !Array.isArray(sp.ids) || !Array.isArray(sp.tokens)) {
        throw new TokenizerError(`Tokenizer: post_processor.${where} uses special token ${JSON.stringify(name)}, which post_processor.special_tokens does not define`);
      }
      return { kind: 'special', ids: sp.ids.map(Number), tokens: sp.tokens.map(String), typeId: Number(p.SpecialToken.type_id ?? 0) };
    }
    throw new TokenizerError(`Tokenizer: post_processor.${where}: unknown template piece ${JSON.stringify(p)}`);
  });
}

/**
 * Reads the `post_processor` section of `tokenizer.json`; `null` means no special tokens.
 * @throws TokenizerError for a post-processor type this tokenizer does not implement.
 * @internal
 */
export function templateFromJSON(pp: unknown): Template {
  if (pp === null || pp === undefined) return EMPTY;
  if (!isObj(pp)) throw new TokenizerError(`Tokenizer: post_processor should be an object, got ${JSON.stringify(pp)}`);
  switch (pp.type) {
    case 'TemplateProcessing': {
      const specials = isObj(pp.special_tokens) ? pp.special_tokens : {};
      return { single: templatePieces(pp.single, specials, 'single'), pair: templatePieces(pp.pair, specials, 'pair') };
    }
    case 'BertProcessing':
      return bertTemplate(pair(pp.cls, 'cls'), pair(pp.sep, 'sep'));
    case 'ByteLevel':
      // GPT-2's post-processor only trims offsets; it adds no tokens
      return EMPTY;
    case 'Sequence': {
      // e.g. Llama 3: [ByteLevel, TemplateProcessing]; the last one that adds tokens decides
      const steps = Array.isArray(pp.processors) ? pp.processors : [];
      const adding = steps.filter((p) => isObj(p) && p.type !== 'ByteLevel');
      if (adding.length > 1) throw new TokenizerError(`Tokenizer: a post_processor Sequence with more than one step that adds tokens is not supported`);
      return adding.length === 0 ? EMPTY : templateFromJSON(adding[0]);
    }
    case 'RobertaProcessing': {
      const [c, s] = [pair(pp.cls, 'cls'), pair(pp.sep, 'sep')];
      const sp = (t: [string, number]): TemplatePiece => ({ kind: 'special', ids: [t[1]], tokens: [t[0]], typeId: 0 });
      return {
        single: [sp(c), { kind: 'sequence', index: 0, typeId: 0 }, sp(s)],
        pair: [sp(c), { kind: 'sequence', index: 0, typeId: 0 }, sp(s), sp(s), { kind: 'sequence', index: 1, typeId: 0 }, sp(s)],
      };
    }
    default:
      throw new TokenizerError(
        `Tokenizer: post_processor type ${JSON.stringify(pp.type)} is not supported (supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence, none)`,
      );
  }
}

/** How many special tokens the template adds to one text (`isPair` false) or a pair. @internal */
export function numSpecialTokens(template: Template, isPair: boolean): number {
  let n = 0;
  for (const p of isPair ? template.pair : template.single) if (p.kind === 'special') n += p.ids.length;
  return n;
}

/**
 * Assembles the final encoding: the template's special tokens (when `addSpecialTokens`) around
 * the texts, with the template's token types; without special tokens the texts keep the
 * template's token types (as Hugging Face tokenizers does).
 * @internal
 */
export function applyTemplate(template: Template, a: Pieces, b: Pieces | null, addSpecialTokens: boolean): {
  ids: number[];
  tokens: string[];
  tokenTypeIds: number[];
} {
  const ids: number[] = [];
  const tokens: string[] = [];
  const tokenTypeIds: number[] = [];
  for (const piece of b === null ? template.single : template.pair) {
    if (piece.kind === 'special') {
      if (!addSpecialTokens) continue;
      ids.push(...piece.ids);
      tokens.push(...piece.tokens);
      for (let i = 0; i < piece.ids.length; i++) tokenTypeIds.push(piece.typeId);
    } else {
      const seq = piece.index === 0 ? a : b!;
      for (let i = 0; i < seq.ids.length; i++) {
        ids.push(seq.ids[i]!);
        tokens.push(seq.tokens[i]!);
        tokenTypeIds.push(piece.typeId);
      }
    }
  }
  return { ids, tokens, tokenTypeIds };
}
