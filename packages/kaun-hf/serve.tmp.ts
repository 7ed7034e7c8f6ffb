import { startHubServer } from './test/helpers/hub-server.js';
const hub = await startHubServer({ repos: {}, users: { hf_w: { name: 'alice', orgs: ['org'] } }, multipartThreshold: 100_000, chunkSize: 64_000 });
console.log(hub.endpoint);
process.on('SIGTERM', () => { console.error(hub.requests.map((r) => `${r.server} ${r.method} ${r.path.slice(0, 90)} ${r.status}`).join('\n')); void hub.close().then(() => process.exit(0)); });
