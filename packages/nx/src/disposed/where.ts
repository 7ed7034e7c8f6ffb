/**
 * Which nx function a freed tensor reached, read from the call stack when the error is raised
 * (so it costs nothing until then), and which of its arguments it was when that is certain.
 * Internal.
 * @module
 */
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of nx's own modules (`src` when run from the sources, `dist` when built). */
const NX_ROOT = dirname(dirname(fileURLToPath(import.meta.url))) + sep;
/** Sub-namespaces of the API by folder: `random/` holds `nx.random.*`, and so on. */
const NAMESPACES: Readonly<Record<string, string>> = { random: 'random', io: 'io', dtype: 'dtypes' };

type Api = Record<string, unknown>;
let api: Api | undefined;

/**
 * Gives the lookup the public API (called once by the package index). Exported functions made by
 * factories (`nx.sum`, `nx.exp`) are anonymous closures; they get their export name, so that
 * stack traces (and this lookup) show it. @internal
 */
export function registerApi(ns: Api): void {
  api = ns;
  for (const scope of [ns, ...Object.values(NAMESPACES).map((n) => ns[n] as Api)]) {
    for (const [key, fn] of Object.entries(scope)) {
      if (typeof fn === 'function' && fn.name === '') Object.defineProperty(fn, 'name', { value: key });
    }
  }
}

interface Frame { name: string; file: string }

function frames(): Frame[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 80;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const out: Frame[] = [];
  for (const line of stack.split('\n').slice(1)) {
    // "at name (file:line:col)", "at Object.<anonymous> [as name] (file...)", "at file:line:col"
    const m = /^\s*at (?:async )?(?:new )?(?:(.*?) \()?(?:file:\/\/)?(.*?):\d+:\d+\)?$/.exec(line);
    if (!m) continue;
    const raw = m[1] ?? '';
    const as = /\[as ([\w$]+)\]$/.exec(raw);
    const name = as ? as[1]! : raw.split('.').pop()!.replace(/[^\w$]/g, '');
    out.push({ name, file: m[2]! });
  }
  return out;
}

const isNx = (f: Frame): boolean => f.file.startsWith(NX_ROOT) && !f.file.startsWith(`${NX_ROOT}disposed${sep}`);
const isTfjs = (f: Frame): boolean => f.file.includes(`${sep}@tensorflow${sep}`) || /[\\/]tfjs-[\w-]+[\\/]src[\\/]/.test(f.file);

/** The public function a frame is in, as users write it (`nx.sum`, `nx.random.normal`), or undefined. */
function publicName(f: Frame): { label: string; fn: unknown } | undefined {
  if (!api || f.name === '' || f.name === '<anonymous>') return undefined;
  const folder = f.file.slice(NX_ROOT.length).split(/[\\/]/)[0] ?? '';
  const ns = NAMESPACES[folder];
  const scope = ns === undefined ? api : (api[ns] as Api | undefined);
  const fn = scope?.[f.name];
  if (typeof fn !== 'function') return undefined;
  return { label: ns === undefined ? `nx.${f.name}` : `nx.${ns}.${f.name}`, fn };
}

/** Parameter names from a function's source text (names only; defaults and rest dots dropped). */
function parameterNames(fn: unknown): string[] {
  const src = String(fn);
  const open = src.indexOf('(');
  if (open < 0) return [];
  let depth = 0;
  let end = open;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (depth === 0) { end = i; break; }
  }
  const params: string[] = [];
  let cur = '';
  depth = 0;
  for (const c of src.slice(open + 1, end)) {
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) { params.push(cur); cur = ''; } else cur += c;
  }
  if (cur.trim() !== '') params.push(cur);
  return params.map((p) => p.split('=')[0]!.replace('...', '').trim()).filter((p) => /^[\w$]+$/.test(p));
}

/** The names nx gives its tensor parameters; a function with exactly one of them has one tensor argument. */
const TENSOR_PARAMS = new Set(['x', 'y', 'a', 'b', 'w', 'xs', 'cond', 'condition', 'indices', 'logits', 'input', 'tensor', 't']);

/**
 * The nx function called from outside nx (user code, kaun, ...) that is running now, and its
 * argument holding the freed tensor when the function has a single tensor parameter.
 * `undefined` when no public nx function is on the stack.
 */
export function nxCaller(): { where: string; argument: string | undefined } | undefined {
  const fs = frames();
  for (let i = 0; i < fs.length; i++) {
    const f = fs[i]!;
    if (!isNx(f)) continue;
    const outer = fs[i + 1];
    if (outer !== undefined && (isNx(outer) || isTfjs(outer))) continue;
    const pub = publicName(f);
    if (pub === undefined) continue;
    const tensors = parameterNames(pub.fn).filter((p) => TENSOR_PARAMS.has(p));
    return { where: pub.label, argument: tensors.length === 1 ? tensors[0] : undefined };
  }
  return undefined;
}
