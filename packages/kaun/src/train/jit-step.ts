/**
 * The training step as one graph: `Train.make({..., jit: true})` runs {@link stepCore} through
 * `nx.jit`, one jitted function per trainer. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Vars } from '../layer/index.js';
import type { Tree } from '../ptree/index.js';
import { disposeReplaced } from './dispose-replaced.js';
import { stepCore, type StepOutputs } from './step-core.js';
import type { AnyTrainer, Batch } from './types.js';

type JittedStep = nx.Jitted<[vars: Vars, optState: Tree, batch: Batch<unknown, unknown>, key: nx.random.Key, withPreds: boolean], StepOutputs>;

const steps = new WeakMap<AnyTrainer, JittedStep>();

type JittedSteps = nx.Jitted<[vars: Vars, optState: Tree, batches: Batch<unknown, unknown>[], keys: nx.random.Key[], withPreds: boolean], StepsOutputs>;

/** What `n` steps traced as one graph return: the state after the last, each step's loss and predictions. */
export interface StepsOutputs {
  params: Tree;
  optState: Tree;
  modelState: Tree;
  losses: nx.Tensor[];
  preds: (nx.Tensor | undefined)[];
}

const multiSteps = new WeakMap<AnyTrainer, Map<number, JittedSteps>>();

/**
 * `n` consecutive steps of a trainer as one jitted function (made on first use per `n`): the
 * batches and keys in order, each step's parameters, optimizer and model state passed to the
 * next inside the graph (`Train.fit`'s `stepsPerExecution`). @internal
 */
export function jittedSteps(trainer: AnyTrainer, n: number): JittedSteps {
  let byCount = multiSteps.get(trainer);
  if (byCount === undefined) multiSteps.set(trainer, (byCount = new Map()));
  let f = byCount.get(n);
  if (f === undefined) {
    f = nx.jit((vars: Vars, optState: Tree, batches: Batch<unknown, unknown>[], keys: nx.random.Key[], withPreds: boolean): StepsOutputs => {
      let v = vars;
      let o = optState;
      const losses: nx.Tensor[] = [];
      const preds: (nx.Tensor | undefined)[] = [];
      batches.forEach((batch, i) => {
        const r = stepCore(trainer, v, o, batch, keys[i]!, withPreds);
        // the state between two steps is this function's own: free it as the next step replaces
        // it (a trace drops it anyway; run eagerly it would stay), but never the caller's
        // tensors, which a step may pass through unchanged (a frozen or not yet updated leaf)
        if (i > 0) disposeReplaced([v.params, o, v.state], [r.params, r.optState, r.modelState, vars.params, vars.state, optState]);
        v = { ...v, params: r.params, state: r.modelState };
        o = r.optState;
        losses.push(r.loss);
        preds.push(r.preds);
      });
      return { params: v.params, optState: o, modelState: v.state, losses, preds };
    }, { name: `Train.steps${n}`, xla: trainer.jit !== false && trainer.jit.xla });
    byCount.set(n, f);
  }
  return f;
}

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
