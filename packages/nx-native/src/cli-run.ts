/**
 * Entry point of the `raven-nx-native` command when run from the TypeScript sources.
 * @module
 */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
