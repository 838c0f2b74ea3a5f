// `amur serve` as a stranger sees it: without this launch's secret, every HTTP request and every
// WebSocket upgrade is refused; with it, the secret leaves the URL for an HttpOnly cookie.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { startApp, type RunningApp } from './harness.js';

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the HTTP status of a refused upgrade, or 101 when the socket opened. */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode! }));
    ws.once('error', (e) => reject(e));
  });
}

describe('amur serve refuses whoever lacks the secret', () => {
  let app: RunningApp;
  let cookie: string;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app?.stop();
  });

  test('it listens on 127.0.0.1 only and prints a URL with a long secret', () => {
    const u = new URL(app.url);
    assert.equal(u.hostname, '127.0.0.1');
    assert.ok((u.searchParams.get('key') ?? '').length >= 40);
  });

  test('HTTP without the key, or with a wrong one, is refused', async () => {
    for (const path of ['/', '/index.html', '/assets/', '/api/uploads', '/ws']) {
      assert.equal((await get(app.origin + path)).status, 403, path);
    }
    assert.equal((await get(`${app.origin}/api/uploads`, {}, 'POST')).status, 403);
    assert.equal((await get(`${app.origin}/?key=wrong`)).status, 403);
    const key = new URL(app.url).searchParams.get('key')!;
    assert.equal((await get(`${app.origin}/?key=${key.slice(0, -1)}`)).status, 403);
    assert.equal((await get(app.origin + '/', { Cookie: `amur_key_${app.port}=${key}x` })).status, 403);
  });

  test('the key is swapped for an HttpOnly SameSite=Strict cookie and leaves the URL', async () => {
    const res = await get(app.url);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/');
    const setCookie = String(res.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    cookie = setCookie.split(';')[0];
    const page = await get(`${app.origin}/`, { Cookie: cookie });
    assert.equal(page.status, 200);
    assert.match(page.body, /<div id="root">/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-eval/);
  });

  test('a foreign Host name is refused even with the cookie (DNS rebinding)', async () => {
    assert.equal((await get(`${app.origin}/`, { Cookie: cookie, Host: `evil.example:${app.port}` })).status, 403);
  });

  test('WebSocket upgrades without the cookie, or from another origin, are refused', async () => {
    const ws = `ws://127.0.0.1:${app.port}/ws`;
    assert.equal((await upgrade(ws, { Origin: app.origin })).status, 403);
    assert.equal((await upgrade(ws, { Origin: app.origin, Cookie: `amur_key_${app.port}=nope` })).status, 403);
    assert.equal((await upgrade(ws, { Origin: 'http://evil.example', Cookie: cookie })).status, 403);
    const ok = await upgrade(ws, { Origin: app.origin, Cookie: cookie });
    assert.equal(ok.status, 101);
    // The contract answers over the accepted socket.
    const reply = await new Promise<string>((resolve) => {
      ok.ws!.once('message', (d) => resolve(String(d)));
      ok.ws!.send(JSON.stringify({ t: 'call', id: 1, channel: 'amur:studies.listStudies', args: [] }));
    });
    assert.deepEqual(JSON.parse(reply), { t: 'result', id: 1, value: [] });
    ok.ws!.close();
  });

  test('uploads cannot escape their folder and the secret is never logged', async () => {
    const batch = await get(`${app.origin}/api/uploads`, { Cookie: cookie }, 'POST');
    assert.equal(batch.status, 200);
    const { batch: id } = JSON.parse(batch.body) as { batch: string };
    const bad = await get(`${app.origin}/api/uploads/${id}/files`, { Cookie: cookie, 'X-Amur-Path': encodeURIComponent('../../escape.dcm') }, 'PUT');
    assert.equal(bad.status, 400);
    const key = new URL(app.url).searchParams.get('key')!;
    assert.equal(app.output().split(key).length - 1, 1, 'the URL is printed once, and nothing else repeats the secret');
  });
});
