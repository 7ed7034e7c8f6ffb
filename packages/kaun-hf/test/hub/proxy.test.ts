/**
 * HTTP_PROXY / NO_PROXY are read at call time: requests go through a loopback proxy (which
 * supports both CONNECT tunnels and absolute-form requests) unless NO_PROXY covers the host.
 */
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { downloadFile } from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, tempDirs } from './_util.js';

describe('proxies from the environment', () => {
  let hub: HubServer;
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '');
    const up = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(up);
  });
  proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host as string, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
  });
  proxy.on('connection', (s: Socket) => sockets.add(s));
  let proxyUrl = '';
  const dirs = tempDirs();
  const saved = Object.fromEntries(
    ['HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'].map((k) => [k, process.env[k]]),
  );

  beforeAll(async () => {
    hub = await startHubServer({
      repos: { 'org/r': { files: { 'config.json': '{"p":1}', 'model.safetensors': 'weights' } } },
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
    await hub.close();
  });
  afterEach(() => {
    dirs.cleanup();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('sends Hub and CDN requests through HTTP_PROXY, and none when NO_PROXY names the host', async () => {
    for (const k of Object.keys(saved)) delete process.env[k];
    process.env.HTTP_PROXY = proxyUrl;
    const cacheDir = dirs.make();
    const o = { modelId: 'org/r', endpoint: hub.endpoint, cacheDir, ...FAST };
    const path = await downloadFile({ ...o, filename: 'model.safetensors' });
    expect(readFileSync(path, 'utf8')).toBe('weights');
    const hubHost = new URL(hub.endpoint).host;
    const cdnHost = new URL(hub.cdnEndpoint).host;
    expect(seen.some((s) => s.includes(hubHost))).toBe(true);
    expect(seen.some((s) => s.includes(cdnHost))).toBe(true);

    seen.length = 0;
    process.env.NO_PROXY = '127.0.0.1';
    const direct = await downloadFile({ ...o, filename: 'config.json' });
    expect(readFileSync(direct, 'utf8')).toBe('{"p":1}');
    expect(seen).toEqual([]);
  });
});
