// The browser-shell host (`amur serve`): the built renderer and the contract over loopback HTTP and
// WebSocket, on 127.0.0.1 only. Every request must carry the per-launch secret: the printed URL
// holds it once, the host swaps it for an HttpOnly SameSite=Strict cookie and redirects to a URL
// without it. Nothing about patients is logged; uploads live in AMUR_HOME, never in the URL.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { createChannelHandlers, toWireError } from '../../core/contract/proxy.js';
import type { AmurServices } from '../../core/contract/services.js';
import type { ImportSummary } from '../../core/contract/studies.js';
import { t, type Language } from '../../core/i18n/index.js';
import { serveChannels } from './channel-server.js';
import {
  allowedHost, allowedOrigin, cookieName, cookieValue, keyCookie, newSecret, sameSecret, SECURITY_HEADERS,
} from './security.js';
import { contentType, RENDERER_DIST, resolveStaticPath } from './static.js';
import { UploadArea, uploadSegments } from './uploads.js';

export interface HostOptions {
  services: AmurServices;
  /** AMUR_HOME: uploads are written below it. */
  home: string;
  /** How a batch of uploads (sealed under the upload area's key) is imported. */
  importSealedFolder: (dir: string, key: Buffer) => Promise<ImportSummary>;
  /** 0 picks a free port. */
  port?: number;
  distDir?: string;
  lang?: Language;
  /** Fixed secret for tests that must know it in advance; random otherwise. */
  secret?: string;
}

export interface RunningHost {
  port: number;
  /** The URL to open, with the secret. Print it to the user only. */
  url: string;
  close(): Promise<void>;
}

const BATCH = /^\/api\/uploads\/([0-9a-f]{24})\/(files|import)$/;

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const secret = options.secret ?? newSecret();
  const dist = options.distDir ?? RENDERER_DIST;
  const lang = options.lang ?? 'en';
  const handlers = createChannelHandlers(options.services);
  const uploads = new UploadArea(options.home);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  let port = 0;

  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, ...extra });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');

  const authorised = (req: IncomingMessage) =>
    allowedHost(req.headers.host, port) && sameSecret(cookieValue(req.headers.cookie, cookieName(port)), secret);

  const server = createServer((req, res) => {
    void handle(req, res).catch((e) => {
      if (!res.headersSent) json(res, 500, toWireError(e));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHost(req.headers.host, port)) return send(res, 403, t('host.forbidden', {}, lang));
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);

    // The key in the URL is exchanged once for a cookie, and the address bar loses it.
    const key = url.searchParams.get('key');
    if (key !== null) {
      if (!sameSecret(key, secret)) return send(res, 403, t('host.forbidden', {}, lang));
      url.searchParams.delete('key');
      const location = url.pathname + (url.search || '');
      return send(res, 303, '', 'text/plain; charset=utf-8', { 'Set-Cookie': keyCookie(port, secret), Location: location });
    }
    if (!authorised(req)) return send(res, 403, t('host.forbidden', {}, lang));

    if (url.pathname.startsWith('/api/')) return api(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed', undefined, { Allow: 'GET, HEAD' });
    const file = resolveStaticPath(dist, url.pathname);
    const st = file ? statSync(file, { throwIfNoEntry: false }) : undefined;
    if (!file || !st?.isFile()) {
      if (url.pathname === '/') return send(res, 500, t('host.notBuilt', {}, lang));
      return send(res, 404, 'Not Found');
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': contentType(file), 'Content-Length': String(st.size) });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === 'POST' && url.pathname === '/api/uploads') {
      return json(res, 200, { batch: uploads.newBatch() });
    }
    const m = BATCH.exec(url.pathname);
    if (!m || !uploads.has(m[1])) return json(res, 404, { code: 'host.noSuchUpload', params: {} });
    const batch = m[1];
    if (m[2] === 'files' && req.method === 'PUT') {
      const segments = uploadSegments(req.headers['x-amur-path'] as string | undefined);
      if (!segments) return json(res, 400, { code: 'host.badUploadName', params: {} });
      await uploads.receive(batch, segments, req);
      return json(res, 200, {});
    }
    if (m[2] === 'import' && req.method === 'POST') {
      const summary = await uploads.importBatch(batch, options.importSealedFolder);
      return json(res, 200, summary);
    }
    return send(res, 405, 'Method Not Allowed');
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path !== '/ws' || !authorised(req) || !allowedOrigin(req.headers.origin, port)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveChannels(ws, handlers));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}/?key=${secret}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      uploads.close();
    },
  };
}
