/**
 * The first hour of a new user, as scripts run the way the README says: the README's "A taste"
 * saved to a file and run with the README's own command, a scratch project type-checked with the
 * guide's tsconfig, and the mistakes new users make, each of which must stop with an error that
 * names the problem (not a crash inside TF.js, not a silently ignored option).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './run.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// inside the checkout, as the README asks, so the package names resolve through node_modules
const work = join(root, 'docs', '.generated', `newcomer-${process.pid}`);

beforeAll(() => mkdirSync(work, { recursive: true }));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The fenced blocks of `lang` in a Markdown section (from its heading to the next heading of the same or a higher level). */
function blocksIn(file: string, heading: string, lang: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const start = text.startsWith(`${heading}\n`) ? -1 : text.indexOf(`\n${heading}\n`);
  if (start < 0 && !text.startsWith(`${heading}\n`)) throw new Error(`${file}: no section "${heading}"`);
  const level = heading.match(/^#+/)![0].length;
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level}} `));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** Runs a shell command in `cwd`; resolves with its exit code and output. */
function sh(command: string, cwd: string, timeoutMs = 240_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn('sh', ['-c', command], { cwd, env: { ...process.env, NX_BACKEND: 'wasm', FORCE_COLOR: '0' }, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => res({ status, stdout, stderr }));
  });
}

/** The start of the training scripts: a linear model, a trainer and four examples. */
const TRAIN_SETUP = `import * as nx from '@raven/nx';
import { Data, Layer, Loss, Optim, Train } from '@raven/kaun';
const model = Layer.linear({ inFeatures: 2, outFeatures: 1 });
const trainer = Train.make({ model, optimizer: Optim.sgd({ lr: 0.1 }), loss: Loss.mse });
const data = Data.fromTensors({ x: nx.ones([4, 2]), y: nx.ones([4, 1]) }).batch(2);
`;

/** A mistake: the script a new user writes, and what the error must say. */
interface Mistake { name: string; code: string; error: RegExp }

const MISTAKES: Mistake[] = [
  {
    name: 'sum-dim',
    code: `import * as nx from '@raven/nx';
const x = nx.fromArray([[1, 2], [3, 4]]);
console.log(nx.toArray(nx.sum(x, { dim: 1 })));`,
    error: /OptionError: nx\.sum: unknown option "dim"; did you mean "axis"\?/,
  },
  {
    name: 'fit-epoch',
    code: `${TRAIN_SETUP}await Train.fit(trainer, Train.makeState(trainer, model.init({ key: nx.random.key(0) })), data, { epoch: 5 });`,
    error: /OptionError: Train\.fit: unknown option "epoch"; did you mean "epochs"\?/,
  },
  {
    name: 'adam-learning-rate',
    code: `import { Optim } from '@raven/kaun';
const opt = Optim.adam({ learningRate: 0.1 });`,
    error: /OptionError: Optim\.adam: unknown option "learningRate"; did you mean "lr"\?/,
  },
  {
    name: 'early-stopping-patients',
    code: `${TRAIN_SETUP}await Train.fit(trainer, Train.makeState(trainer, model.init({ key: nx.random.key(0) })), data, { epochs: 5, earlyStopping: { patients: 1 } });`,
    error: /OptionError: Train\.fit: earlyStopping: unknown option "patients"; did you mean "patience"\?/,
  },
  {
    name: 'reuse-consumed-state',
    code: `${TRAIN_SETUP}const state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
await Train.fit(trainer, state, data, { epochs: 1, progress: false });
await Train.fit(trainer, state, data, { epochs: 1, progress: false }); // the first fit consumed state`,
    error: /DisposedTensorError: Train\.fit: argument state\.vars\.params\.weight \(shape \[1, 2\], dtype float32\) has been disposed\. This TrainState was consumed/,
  },
  {
    name: 'add-disposed',
    code: `import * as nx from '@raven/nx';
const x = nx.fromArray([1, 2, 3]);
nx.dispose(x);
console.log(nx.toArray(nx.add(x, 1)));`,
    error: /DisposedTensorError: nx\.add: argument x \(shape \[3\], dtype float32\) has been disposed\. Tensors are freed by nx\.dispose/,
  },
  {
    name: 'apply-disposed-params',
    code: `import * as nx from '@raven/nx';
import { Layer, Ptree } from '@raven/kaun';
const layer = Layer.linear({ inFeatures: 2, outFeatures: 4 });
const vars = layer.init({ key: nx.random.key(0) });
Ptree.dispose(vars.params);
layer.apply(vars, nx.ones([1, 2]));`,
    error: /DisposedTensorError: Layer\.linear: apply: variable weight \(shape \[4, 2\], dtype float32\) has been disposed/,
  },
];

describe('the first hour', () => {
  it("the README's taste runs with the command the README gives", async () => {
    const [taste] = blocksIn('README.md', '## A taste', 'ts');
    const commands = blocksIn('README.md', '## A taste', 'sh').join('\n').split('\n').filter((l) => /^npx tsx\b/.test(l));
    expect(commands, 'the README says how to run the taste').toHaveLength(1);
    const file = commands[0]!.split(/\s+/).at(-1)!;
    const dir = join(work, 'taste');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), taste!);
    const r = await sh(commands[0]!, dir);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    // four probabilities, XOR learnt
    const probs = (JSON.parse(r.stdout.replace(/\s+/g, '')) as number[][]).map((p) => p[0]!);
    expect(probs.map((p) => (p > 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
  }, 300_000);

  it('npm run build, lint and bench resolve the workspace (turbo plans every package, nx first)', async () => {
    // turbo refuses a workspace without packageManager ("Missing packageManager field"); a dry run plans without building
    const r = await run(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'build', 'lint', 'bench', '--dry=json'], { cwd: root, timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const tasks = (JSON.parse(r.stdout) as { tasks: Array<{ taskId: string; dependencies: string[] }> }).tasks;
    for (const pkg of ['@raven/nx', '@raven/kaun', '@raven/kaun-hf']) for (const t of ['build', 'lint', 'bench']) expect(tasks.map((x) => x.taskId)).toContain(`${pkg}#${t}`);
    const deps = (id: string) => tasks.find((x) => x.taskId === id)!.dependencies;
    expect(deps('@raven/kaun#build')).toContain('@raven/nx#build');
    expect(deps('@raven/kaun-hf#build')).toEqual(expect.arrayContaining(['@raven/nx#build', '@raven/kaun#build']));
  }, 120_000);

  it("the guide's tsconfig type-checks a scratch project against the packages and rejects {dim: 1}", async () => {
    const [tsconfig] = blocksIn('docs/01-getting-started.md', '### Type-checking your own code', 'json');
    const dir = join(work, 'scratch');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), tsconfig!);
    writeFileSync(join(dir, 'good.ts'), "import * as nx from '@raven/nx';\nimport { Optim } from '@raven/kaun';\nexport const s = nx.sum(nx.ones([2, 2]), { axis: 1 });\nexport const o = Optim.adam({ lr: 1e-3 });\n");
    writeFileSync(join(dir, 'bad.ts'), "import * as nx from '@raven/nx';\nexport const s = nx.sum(nx.ones([2, 2]), { dim: 1 });\n");
    const r = await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', dir], { cwd: root, timeout: 240_000 });
    const errors = r.stdout.split('\n').filter((l) => /error TS/.test(l));
    expect(errors, r.stdout + r.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/bad\.ts\(2,\d+\): error TS2353: .*'dim' does not exist in type 'ReduceOptions'/);
  }, 300_000);

  it("guide 04's Hub and BERT sections run offline with the command the guide gives (the docs' Hub)", async () => {
    const command = blocksIn('docs/04-checkpoints-and-pretrained.md', '# Checkpoints and pretrained models', 'sh').join('\n').split('\n').find((l) => l.startsWith('npm run docs:hub -- '));
    expect(command, 'guide 04 says how to run it with the docs Hub').toBeDefined();
    const file = command!.split(/\s+/).at(-1)!;
    const dir = join(work, 'hub');
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    writeFileSync(join(dir, file), [
      "import { Bert, loadConfig } from '@raven/kaun-hf';",
      "const bert = await Bert.fromPretrained('raven-fixtures/bert-tiny', { logger: false });",
      'console.log(bert.config.hidden_size, bert.tokenizer!.tokenize(\'Unaffable\').join(\' \'));',
      "const priv = await loadConfig('raven-fixtures/private-bert-tiny'); // needs the token the command sets",
      "console.log('private', priv['num_labels']);",
    ].join('\n'));
    const r = await sh(command!, dir);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('32 una ##ffa ##ble');
    expect(r.stdout).toContain('private 2');
  }, 300_000);

  it('npm run docs:hub alone serves the fixtures and prints how to use it', async () => {
    // its own process group: stopping it stops npm, the shell and the server together
    const child = spawn('npm', ['run', 'docs:hub'], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, detached: true });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    try {
      let err = '';
      const env = await new Promise<Record<string, string>>((done, fail) => {
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /export HF_ENDPOINT=(\S+) HF_TOKEN=(\S+)/.exec(err);
          if (m) done({ HF_ENDPOINT: m[1]!, HF_TOKEN: m[2]! });
        });
        child.once('exit', (code) => fail(new Error(`docs:hub exited (${code}):\n${err}`)));
      });
      const { loadConfig } = await import('@raven/kaun-hf');
      const config = await loadConfig('raven-fixtures/private-bert-tiny', { endpoint: env['HF_ENDPOINT']!, token: env['HF_TOKEN']!, cacheDir: join(work, 'hub-cache') });
      expect(config['hidden_size']).toBe(32);
    } finally {
      process.kill(-child.pid!, 'SIGINT');
      await exited;
    }
  }, 120_000);

  describe('mistakes stop with an error that names the problem', () => {
    for (const m of MISTAKES) {
      it.concurrent(m.name, async () => {
        const dir = join(work, 'mistakes');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${m.name}.ts`), `${m.code}\n`);
        const r = await sh(`npx tsx --conditions=source ${m.name}.ts`, dir);
        expect(r.status, r.stdout).not.toBe(0);
        expect(r.stderr).toMatch(m.error);
        expect(r.stderr).not.toMatch(/Cannot read properties of undefined/);
      }, 300_000);
    }
  });
});
