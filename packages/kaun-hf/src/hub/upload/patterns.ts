/**
 * File patterns as huggingface_hub applies them (`allow_patterns`, `ignore_patterns`,
 * `delete_patterns`): Python's `fnmatch.fnmatchcase` on the path with `/` separators, where `*`
 * also matches `/`, `?` one character, `[abc]`/`[!abc]` a set; a pattern ending in `/` means
 * everything under that folder.
 * @module
 */

/** Never uploaded from a folder (huggingface_hub's `DEFAULT_IGNORE_PATTERNS`): git and the HF cache. */
export const DEFAULT_IGNORE_PATTERNS: readonly string[] = [
  '.git',
  '.git/*',
  '*/.git',
  '**/.git/**',
  '.cache/huggingface',
  '.cache/huggingface/*',
  '*/.cache/huggingface',
  '**/.cache/huggingface/**',
];

const cache = new Map<string, RegExp>();

/** A `[...]` set of fnmatch (`body` between the brackets) as a JavaScript class, as Python 3.11's `translate` builds it. */
function setClass(body: string): string {
  let stuff: string;
  if (!body.includes('-')) stuff = body.replace(/\\/g, '\\\\');
  else {
    // split at the hyphens that make ranges; drop ranges whose ends are reversed (empty)
    const chunks: string[] = [];
    let i = 0;
    let k = body.startsWith('!') ? 1 : 0;
    for (;;) {
      k = body.indexOf('-', k);
      if (k < 0) break;
      chunks.push(body.slice(i, k));
      i = k + 1;
      k += 3;
    }
    const last = body.slice(i);
    if (last !== '') chunks.push(last);
    else chunks[chunks.length - 1] += '-';
    for (let c = chunks.length - 1; c > 0; c--) {
      const prev = chunks[c - 1] as string;
      const cur = chunks[c] as string;
      if (prev.slice(-1) > cur.slice(0, 1)) {
        chunks[c - 1] = prev.slice(0, -1) + cur.slice(1);
        chunks.splice(c, 1);
      }
    }
    stuff = chunks.map((x) => x.replace(/\\/g, '\\\\').replace(/-/g, '\\-')).join('-');
  }
  if (stuff === '') return '(?!)';
  if (stuff === '!') return '.';
  let negate = false;
  if (stuff.startsWith('!')) {
    negate = true;
    stuff = stuff.slice(1);
  }
  // in a JavaScript class, [ ] and ^ must be escaped to be literal (Python takes them literally here)
  stuff = stuff.replace(/([[\]^])/g, '\\$1');
  return `[${negate ? '^' : ''}${stuff}]`;
}

/** The regular expression of one fnmatch pattern (whole-string, case-sensitive), as Python's `fnmatch.translate`. */
export function patternRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const p = pattern.replace(/\\/g, '/');
  const full = p.endsWith('/') ? `${p}*` : p;
  let re = '';
  for (let i = 0; i < full.length; i++) {
    const c = full[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (full[j] === '!') j++;
      if (full[j] === ']') j++;
      while (j < full.length && full[j] !== ']') j++;
      if (j >= full.length) re += '\\[';
      else {
        re += setClass(full.slice(i + 1, j));
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const compiled = new RegExp(`^${re}$`, 's');
  cache.set(pattern, compiled);
  return compiled;
}

/** Whether `path` matches at least one of `patterns`. */
export function matchesAny(path: string, patterns: readonly string[]): boolean {
  const p = path.replace(/\\/g, '/');
  return patterns.some((pattern) => patternRegExp(pattern).test(p));
}

/**
 * Keeps the paths that match one of `allow` (when given) and none of `ignore` (when given),
 * as huggingface_hub's `filter_repo_objects`.
 */
export function filterPaths(
  paths: readonly string[],
  allow: readonly string[] | undefined,
  ignore: readonly string[] | undefined,
): string[] {
  return paths.filter(
    (path) => (allow === undefined || matchesAny(path, allow)) && (ignore === undefined || !matchesAny(path, ignore)),
  );
}

/** A pattern option given as one string or a list, as a list (or `undefined`). */
export function patternList(value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : [...value];
}
