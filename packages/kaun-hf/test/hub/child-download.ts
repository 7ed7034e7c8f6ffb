/**
 * Child process for the concurrency tests: downloads one file into a shared cache and prints
 * `{"path": ...}`. Imports the download module itself (not the package entry) so that it starts
 * without loading @raven/nx.
 * Usage: node --conditions=source --import tsx child-download.ts <repo> <file> <cacheDir> <endpoint>
 */
import { downloadFile } from '../../src/hub/download-file.js';

const [modelId, filename, cacheDir, endpoint] = process.argv.slice(2) as [string, string, string, string];
const path = await downloadFile({
  modelId,
  filename,
  cacheDir,
  endpoint,
  retry: { baseDelayMs: 1 },
  lock: { pollMs: 10 },
});
process.stdout.write(`${JSON.stringify({ path })}\n`);
