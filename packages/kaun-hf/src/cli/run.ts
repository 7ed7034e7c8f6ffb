/**
 * Entry point that runs {@link main} on `process.argv` (used by `bin/kaun-hf.js`).
 * @module
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
