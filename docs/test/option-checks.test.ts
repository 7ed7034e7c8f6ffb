/**
 * Every public function of the packages that takes an options object checks the option
 * names (`checkOptions`), so a misspelt key is an error instead of being ignored. Found from the
 * sources with the TypeScript parser: exported functions and public class methods (not `@internal`)
 * with an options parameter (named `options`/`opts`, or typed `...Options`/`...Config` or as an
 * object literal) must call `checkOptions` themselves or hand that parameter to a function that
 * does. A new API without the check fails here.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

type Fn = ts.FunctionDeclaration | ts.MethodDeclaration | ts.ConstructorDeclaration;

interface Candidate { where: string; fn: Fn; param: string; file: ts.SourceFile }

const isInternal = (node: ts.Node): boolean => ts.getJSDocTags(node).some((t) => t.tagName.text === 'internal');

function isOptionsParam(p: ts.ParameterDeclaration, sf: ts.SourceFile): boolean {
  if (!ts.isIdentifier(p.name)) return false;
  const name = p.name.text;
  const type = p.type?.getText(sf) ?? '';
  if (/^\{\s*cause\?: unknown\s*\}$/.test(type)) return false; // Error subclasses' constructor options
  return name === 'options' || name === 'opts' || /^\w*(Options|Config)\b/.test(type.replace(/^Partial<|^Readonly</, '')) && !/^(HubConfig|BertConfig|TokenizerConfig|Gpt2Config|LlamaConfig|GemmaConfig|DecoderConfig)\b/.test(type) || /^\{/.test(type);
}

/** Function names whose body checks options, and the public functions with options parameters. */
function scan(): { checkers: Set<string>; candidates: Candidate[] } {
  const checkers = new Set<string>(['checkOptions']);
  const candidates: Candidate[] = [];
  const all: Array<{ name: string; fn: Fn; file: ts.SourceFile }> = [];
  for (const pkg of ['nx', 'nx-native', 'kaun', 'kaun-hf']) {
    for (const path of sources(join(root, 'packages', pkg, 'src'))) {
      const sf = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
      const visit = (node: ts.Node, exportedClass: boolean): void => {
        if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node)) && node.body) {
          const name = ts.isConstructorDeclaration(node) ? 'constructor' : node.name?.getText(sf) ?? '';
          all.push({ name, fn: node, file: sf });
          const exported = ts.isFunctionDeclaration(node)
            ? (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export) !== 0
            : exportedClass && !(ts.getCombinedModifierFlags(node) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) && !name.startsWith('#');
          if (exported && !isInternal(node) && name !== 'checkOptions') {
            for (const p of node.parameters) {
              if (isOptionsParam(p, sf)) candidates.push({ where: `${relative(root, path)}: ${name}(${(p.name as ts.Identifier).text})`, fn: node, param: (p.name as ts.Identifier).text, file: sf });
            }
          }
        }
        if (ts.isClassDeclaration(node)) {
          const exp = (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export) !== 0 && !isInternal(node);
          const isError = node.heritageClauses?.some((h) => /Error\b/.test(h.getText(sf))) ?? false;
          node.members.forEach((m) => visit(m, exp && !isError));
          return;
        }
        ts.forEachChild(node, (c) => visit(c, false));
      };
      visit(sf, false);
    }
  }
  // a function is a checker when it calls checkOptions or a checker; iterate to a fixed point
  let grew = true;
  while (grew) {
    grew = false;
    for (const { name, fn } of all) {
      if (checkers.has(name) || !fn.body) continue;
      if (callsAny(fn.body, checkers)) { checkers.add(name); grew = true; }
    }
  }
  return { checkers, candidates };
}

function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

function callsAny(body: ts.Node, names: Set<string>, param?: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n)) {
      const callee = calleeName(n);
      if (callee !== undefined && names.has(callee)) {
        // with a parameter: it must be passed on (as itself, spread into an object, or a field of it)
        if (param === undefined || n.arguments.some((a) => new RegExp(`\\b${param}\\b`).test(a.getText()))) { found = true; return; }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

describe('option names are checked', () => {
  const { checkers, candidates } = scan();

  it('finds the public functions that take options', () => {
    // the sweep covered these; the scan must keep seeing them (or it checks nothing)
    const seen = candidates.map((c) => c.where).join('\n');
    for (const f of ['reduction.ts: variance(options)', 'fit.ts: fit(options)', 'alias.ts: adam(options)', 'pretrained.ts: fromPretrained(options)', 'tokenizer.ts: decode(options)']) expect(seen).toContain(f);
    expect(candidates.length).toBeGreaterThan(80);
  });

  it('every one calls checkOptions or hands its options to a function that does', () => {
    const missing = candidates.filter((c) => !callsAny(c.fn.body!, checkers, c.param)).map((c) => c.where);
    expect(missing, 'add nx.checkOptions(where, options, KEYS) with KEYS: nx.OptionKeys<TheOptions>').toEqual([]);
  });
});
