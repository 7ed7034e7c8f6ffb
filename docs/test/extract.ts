/**
 * Pulls the TypeScript code blocks out of the guides in docs/ so the tests can type-check and run them.
 *
 * A block is a fenced block whose info string is `ts` or `typescript`. The blocks of one guide are
 * joined, in order, into one module (later blocks may use what earlier ones defined). A block
 * preceded by `<!-- docs-test: skip (reason) -->` is neither checked nor run; the reason is required.
 * A block preceded by `<!-- docs-test: typecheck-only (reason) -->` is type-checked but not run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One code block of a guide. */
export interface DocBlock {
  /** Guide file name. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The code. */
  code: string;
  /** `run` (default), `typecheck-only` or `skip`. */
  mode: 'run' | 'typecheck-only' | 'skip';
  /** Why a block is not run. */
  reason?: string;
}

const MARKER = /<!--\s*docs-test:\s*(skip|typecheck-only)\s*(?:\((.+?)\))?\s*-->/;

/**
 * Reads every `*.md` guide in `dir`, and the `extra` Markdown files (e.g. the root README, named
 * by their base name), and returns their TypeScript blocks.
 */
export function extractBlocks(dir: string, extra: string[] = []): DocBlock[] {
  const out: DocBlock[] = [];
  const files = [...readdirSync(dir).filter((f) => f.endsWith('.md')).sort().map((f) => ({ file: f, path: join(dir, f) })), ...extra.map((p) => ({ file: basename(p), path: p }))];
  for (const { file, path } of files) {
    const lines = readFileSync(path, 'utf8').split('\n');
    let pending: { mode: DocBlock['mode']; reason?: string } | undefined;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      const m = MARKER.exec(l);
      if (m) {
        if (!m[2]) throw new Error(`${file}:${i + 1}: a docs-test marker needs a reason in parentheses`);
        pending = { mode: m[1] as DocBlock['mode'], reason: m[2] };
        continue;
      }
      const fence = /^```(ts|typescript)\s*$/.exec(l.trim());
      if (!fence) continue;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!);
      out.push({ file, line: start + 1, code: body.join('\n'), mode: pending?.mode ?? 'run', ...(pending?.reason ? { reason: pending.reason } : {}) });
      pending = undefined;
    }
  }
  return out;
}

/** Joins the blocks of one guide into a module, with `// file:line` comments to map errors back. */
export function moduleFor(blocks: DocBlock[], mode: 'run' | 'typecheck'): string {
  const parts: string[] = [];
  for (const b of blocks) {
    if (b.mode === 'skip') continue;
    if (mode === 'run' && b.mode === 'typecheck-only') continue;
    parts.push(`// ---- ${b.file}:${b.line}`, b.code);
  }
  // imports must lead the module: hoist them in order of appearance, once each
  const text = parts.join('\n');
  const imports: string[] = [];
  const rest: string[] = [];
  for (const line of text.split('\n')) {
    if (/^import\s.+from\s+['"].+['"];?\s*$/.test(line) || /^import\s+['"].+['"];?\s*$/.test(line)) {
      if (!imports.includes(line)) imports.push(line);
    } else rest.push(line);
  }
  return [...imports, 'export {};', ...rest].join('\n') + '\n';
}
