/** Child process of resume.test.ts: load a training checkpoint, train more, save the result. */
import * as nx from '@raven/nx';
import { Checkpoint, Ptree } from '@raven/kaun';
import { freshState, makeTrainer, train } from './resume-setup.js';

const [ckpt, out, fromArg, toArg] = process.argv.slice(2);
const trainer = makeTrainer();
const like = freshState(trainer, 999);
const { state, extras } = await Checkpoint.loadTraining(ckpt!, { like });
Ptree.dispose([like.vars.params, like.vars.state, like.optState]);
const done = train(trainer, state, Number(fromArg), Number(toArg));
await Checkpoint.saveTraining(out!, done, { extras: { ...extras, child: true } });
console.log(JSON.stringify({ backend: nx.backendInfo().backend, step: done.step }));
