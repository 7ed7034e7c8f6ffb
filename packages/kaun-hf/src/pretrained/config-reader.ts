/**
 * Reading `config.json` fields with transformers' defaults and clear errors: every family's
 * `parseConfig` uses one {@link ConfigReader}. Internal.
 * @module
 */
import { ModelLoadError } from '../errors.js';

/** A token id field: one id, several (`eos_token_id: [1, 107]`), or none. */
export type TokenIds = number | number[] | null;

/** Typed reads of one configuration object; each error names the function and the key. @internal */
export class ConfigReader {
  /**
   * @param where - the parsing function, e.g. `Bert.parseConfig`, prefixed to messages.
   * @param json - the configuration (overrides already merged in).
   */
  constructor(readonly where: string, readonly json: Record<string, unknown>) {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) this.fail(`expected a config object, got ${JSON.stringify(json)}`);
  }

  /** Throws a ModelLoadError prefixed with the function name. */
  fail(message: string): never {
    throw new ModelLoadError(`${this.where}: ${message}`);
  }

  /** The raw value of `key`, `dflt` when absent (undefined or null). */
  value(key: string, dflt: unknown): unknown {
    const v = this.json[key];
    return v === undefined || v === null ? dflt : v;
  }

  /** A positive integer. */
  positiveInt(key: string, dflt: number): number {
    const v = this.value(key, dflt);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A positive finite number. */
  positiveNumber(key: string, dflt: number): number {
    const v = this.value(key, dflt);
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.fail(`${key} must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A probability in [0, 1), or null where the default is null. */
  probability(key: string, dflt: number | null): number | null {
    const v = this.json[key] ?? dflt;
    if (v === null) return null;
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) this.fail(`${key} must be a probability in [0, 1), got ${JSON.stringify(v)}`);
    return v;
  }

  /** A boolean. */
  boolean(key: string, dflt: boolean): boolean {
    const v = this.value(key, dflt);
    if (typeof v !== 'boolean') this.fail(`${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** One of the `allowed` names. */
  oneOf<T extends string>(key: string, allowed: readonly T[], dflt: T): T {
    const v = this.value(key, dflt);
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(`${key} ${JSON.stringify(v)} is not supported; use one of ${allowed.join(', ')}`);
    return v as T;
  }

  /** A list of names (`architectures`). */
  names(key: string): string[] {
    const v = this.value(key, []);
    if (!Array.isArray(v) || v.some((a) => typeof a !== 'string')) this.fail(`${key} must be a list of names, got ${JSON.stringify(v)}`);
    return [...(v as string[])];
  }

  /** A token id, a list of them, or null; each id must be in `[0, vocabSize)`. */
  tokenIds(key: string, vocabSize: number): TokenIds {
    const v = this.json[key] ?? null;
    if (v === null) return null;
    const ids = Array.isArray(v) ? v : [v];
    for (const id of ids) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) this.fail(`${key} must be a non-negative integer (or a list of them), got ${JSON.stringify(v)}`);
      if (id >= vocabSize) this.fail(`${key} ${id} is outside the vocabulary (vocab_size ${vocabSize})`);
    }
    return Array.isArray(v) ? [...(v as number[])] : (v as number);
  }
}

/** A token id field as a list (empty for null). @internal */
export function idList(ids: TokenIds | undefined): number[] {
  return ids === null || ids === undefined ? [] : Array.isArray(ids) ? [...ids] : [ids];
}

/**
 * `json` with the defined `overrides` applied (a new object).
 * @throws ModelLoadError when `json` is not an object.
 * @internal
 */
export function mergeOverrides(where: string, json: Record<string, unknown>, overrides: object): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ModelLoadError(`${where}: expected a config object, got ${JSON.stringify(json)}`);
  const merged: Record<string, unknown> = { ...json };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined && k !== 'extra') merged[k] = v;
  return merged;
}

/** The keys of `json` a family does not read (kept so a save writes them back), plus `extra` overrides. @internal */
export function extraKeys(json: Record<string, unknown>, known: ReadonlySet<string>, extra?: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (!known.has(k) && k !== 'extra') out[k] = v;
  return Object.assign(out, extra ?? {});
}
