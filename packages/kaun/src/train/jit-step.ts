/**
 * The training step as one graph: `Train.make({..., jit: true})` runs {@link stepCore} through
 * `nx.jit`, one jitted function per trainer. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Vars } from '../layer/index.js';
import type { Tree } from '../ptree/index.js';
import { stepCore, type StepOutputs } from './step-core.js';
import type { AnyTrainer, Batch } from './types.js';

type JittedStep = nx.Jitted<[vars: Vars, optState: Tree, batch: Batch<unknown, unknown>, key: nx.random.Key, withPreds: boolean], StepOutputs>;

const steps = new WeakMap<AnyTrainer, JittedStep>();

/**
 * The jitted step of a trainer (made on first use): on the native backend the forward pass,
 * loss, backward pass and optimizer update run as one TensorFlow graph, traced once per batch
 * shape; elsewhere `nx.jit` runs it eagerly and says so once. @internal
 */
export function jittedStep(trainer: AnyTrainer): JittedStep {
  let f = steps.get(trainer);
  if (f === undefined) {
    f = nx.jit((vars: Vars, optState: Tree, batch: Batch<unknown, unknown>, key: nx.random.Key, withPreds: boolean) =>
      stepCore(trainer, vars, optState, batch, key, withPreds), { name: 'Train.step', xla: trainer.jit !== false && trainer.jit.xla });
    steps.set(trainer, f);
  }
  return f;
}
