/**
 * XOR: a small MLP (2 -> 8 -> 1, tanh) learns the exclusive-or of two bits with Adam and a
 * sigmoid binary cross-entropy loss, then prints its four predictions.
 *
 * Run: `npm start -w @raven/example-xor` (finishes in a few seconds).
 * @module
 */
import { pathToFileURL } from 'node:url';
import * as nx from '@raven/nx';
import { Data, Layer, Loss, Metric, Optim, Train } from '@raven/kaun';

/** The four inputs and their XOR. */
const INPUTS = [[0, 0], [0, 1], [1, 0], [1, 1]];
const TARGETS = [0, 1, 1, 0];

/** What {@link run} returns. */
export interface XorResult {
  /** P(output = 1) for each of the four inputs, in the order of INPUTS. */
  probabilities: number[];
  /** Final training loss. */
  loss: number;
  /** Training steps taken. */
  steps: number;
}

/** An MLP whose output is one logit per example (shape [batch]). */
function mlp(): Layer.Layer {
  const net = Layer.sequential([
    Layer.linear({ inFeatures: 2, outFeatures: 8 }),
    Layer.tanh(),
    Layer.linear({ inFeatures: 8, outFeatures: 1 }),
  ]);
  // a custom layer is a plain value: drop the last axis so the output matches the targets [batch]
  return {
    init: (options) => net.init(options),
    apply: (vars, x, options) => {
      const out = net.apply(vars, x, options);
      return { y: nx.scope(() => nx.reshape(out.y, [-1])), state: out.state };
    },
  };
}

/**
 * Trains the MLP on XOR and returns its predictions.
 * @param options.seed - PRNG seed of the initial weights; default 0.
 * @param options.epochs - passes over the 4 examples x 50 repeats (50 steps each); default 4.
 */
export async function run(options: { seed?: number; epochs?: number; verbose?: boolean } = {}): Promise<XorResult> {
  const repeat = 50; // one epoch = the four examples 50 times, in steps of 4
  const x = Float32Array.from({ length: 8 * repeat }, (_, i) => INPUTS.flat()[i % 8]!);
  const y = Float32Array.from({ length: 4 * repeat }, (_, i) => TARGETS[i % 4]!);
  const data = Data.fromArrays({ x: { data: x, shape: [4 * repeat, 2] }, y: { data: y, shape: [4 * repeat] } }).batch(4);

  const model = mlp();
  const trainer = Train.make({
    model,
    optimizer: Optim.adam({ lr: 0.05 }),
    loss: Loss.sigmoidBinaryCrossEntropy,
    metrics: { accuracy: (logits, t) => Metric.binaryAccuracy(logits, t, { threshold: 0 }) },
  });
  const state = Train.makeState(trainer, model.init({ key: nx.random.key(options.seed ?? 0) }));
  const { state: trained, history } = await Train.fit(trainer, state, data, { epochs: options.epochs ?? 4, progress: options.verbose ? 'auto' : false });

  const probs = nx.scope(() => nx.sigmoid(Train.predict(trainer, trained, nx.fromArray(INPUTS))));
  const probabilities = Array.from(nx.toTypedArray(probs));
  nx.dispose([probs, trained.vars.params, trained.optState]);
  return { probabilities, loss: history['loss']!.at(-1)!, steps: trained.step };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const t0 = performance.now();
  const { probabilities, steps } = await run({ verbose: true });
  INPUTS.forEach(([a, b], i) => {
    const p = probabilities[i]!;
    console.log(`${a} xor ${b} -> ${p > 0.5 ? 1 : 0}   (p = ${p.toFixed(4)}, expected ${TARGETS[i]})`);
  });
  console.log(`${steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${nx.backendInfo().backend}`);
}
