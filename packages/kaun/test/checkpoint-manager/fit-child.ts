/** Child process of manager.test.ts: runs (or resumes) the shared run; may hang at a step until killed. */
import * as nx from '@raven/nx';
import { Checkpoint } from '@raven/kaun';
import { run } from './run-setup.js';

const [dir, csv, out, pauseAt] = process.argv.slice(2);
const result = await run(dir!, csv!, Number(pauseAt), async () => {
  console.log('PAUSED');
  await new Promise(() => setInterval(() => undefined, 1000)); // hang until the parent kills this process
});
await Checkpoint.saveTraining(out!, result.state);
console.log(JSON.stringify({ backend: nx.backendInfo().backend, history: result.history }));
