import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allowedHost, allowedOrigin, cookieName, cookieValue, keyCookie, newSecret, sameSecret, SECURITY_HEADERS,
} from './security.js';

test('each launch has its own unguessable secret', () => {
  const a = newSecret();
  const b = newSecret();
  assert.notEqual(a, b);
  assert.ok(Buffer.from(a, 'base64url').length >= 32);
  assert.match(a, /^[A-Za-z0-9_-]+$/, 'safe to put in a URL unescaped');
});

test('the secret is compared whole, and an absent one never matches', () => {
  const s = newSecret();
  assert.ok(sameSecret(s, s));
  assert.ok(!sameSecret(s.slice(0, -1), s));
  assert.ok(!sameSecret(`${s}x`, s));
  assert.ok(!sameSecret('', s));
  assert.ok(!sameSecret(undefined, s));
});

test('the cookie is HttpOnly and SameSite=Strict, and named by port', () => {
  const c = keyCookie(4321, 'abc');
  assert.match(c, /^amur_key_4321=abc;/);
  assert.match(c, /HttpOnly/);
  assert.match(c, /SameSite=Strict/);
  assert.doesNotMatch(c, /Expires|Max-Age|Domain/, 'a session cookie for this host only');
  assert.equal(cookieValue('a=1; amur_key_4321=abc; b=2', cookieName(4321)), 'abc');
  assert.equal(cookieValue('amur_key_4322=abc', cookieName(4321)), undefined);
  assert.equal(cookieValue(undefined, cookieName(4321)), undefined);
});

test('only loopback names on our port pass the Host and Origin checks (DNS rebinding)', () => {
  assert.ok(allowedHost('127.0.0.1:8000', 8000));
  assert.ok(allowedHost('localhost:8000', 8000));
  assert.ok(!allowedHost('evil.example:8000', 8000));
  assert.ok(!allowedHost('127.0.0.1:8001', 8000));
  assert.ok(!allowedHost(undefined, 8000));
  assert.ok(allowedOrigin('http://127.0.0.1:8000', 8000));
  assert.ok(!allowedOrigin('http://evil.example:8000', 8000));
  assert.ok(!allowedOrigin('null', 8000));
  assert.ok(!allowedOrigin(undefined, 8000));
});

test('every response forbids eval, framing, sniffing, referrers and caching', () => {
  const csp = SECURITY_HEADERS['Content-Security-Policy'];
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /object-src 'none'/);
  assert.equal(SECURITY_HEADERS['X-Content-Type-Options'], 'nosniff');
  assert.equal(SECURITY_HEADERS['Referrer-Policy'], 'no-referrer');
  assert.equal(SECURITY_HEADERS['Cache-Control'], 'no-store');
});
