// The desktop shell's security settings, checked in plain Node: Electron's runtime cannot be
// launched here, so the policy is written as data and pure functions that main.ts applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import {
  APP_ORIGIN, APP_SCHEME_PRIVILEGES, CONTENT_SECURITY_POLICY, isAllowedNavigation, isAllowedRequest, isTrustedSender, permissionDecision,
  resolveAppRequest, windowOptions,
} from './security.js';

test('windows are isolated, sandboxed, without Node, with web security on', () => {
  const wp = windowOptions('/app/preload.cjs').webPreferences!;
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.sandbox, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.nodeIntegrationInWorker, false);
  assert.equal(wp.nodeIntegrationInSubFrames, false);
  assert.equal(wp.webSecurity, true);
  assert.equal(wp.allowRunningInsecureContent, false);
  assert.equal(wp.webviewTag, false);
  assert.equal(wp.navigateOnDragDrop, false, 'a dropped file is imported, never opened as a page');
  assert.equal(wp.preload, '/app/preload.cjs');
});

test('the content security policy allows only the app itself and no eval', () => {
  const directives = new Map(CONTENT_SECURITY_POLICY.split(';').map((d) => {
    const [name, ...values] = d.trim().split(/\s+/);
    return [name, values] as const;
  }));
  assert.deepEqual(directives.get('default-src'), ["'self'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('object-src'), ["'none'"]);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
  // PDFs are drawn in the page by pdf.js: no frame of any kind, its worker only from the app.
  assert.deepEqual(directives.get('frame-src'), ["'none'"]);
  assert.deepEqual(directives.get('worker-src'), ["'self'"]);
  assert.deepEqual(directives.get('base-uri'), ["'none'"]);
  for (const [, values] of directives) {
    assert.ok(!values.some((v) => /unsafe-eval|unsafe-inline|\*/.test(v)), `no eval, inline script or wildcard: ${values}`);
    assert.ok(!values.some((v) => /^https?:/.test(v)), 'no remote origin');
  }
});

test('the app scheme is standard and secure, and bypasses nothing', () => {
  assert.equal(APP_SCHEME_PRIVILEGES.scheme, 'amur');
  const p = APP_SCHEME_PRIVILEGES.privileges!;
  assert.equal(p.standard, true);
  assert.equal(p.secure, true);
  assert.ok(!p.bypassCSP, 'the CSP applies to the app');
  assert.ok(!p.allowServiceWorkers);
  assert.ok(!p.corsEnabled);
});

test('only our own windows, top frame, our origin, may call the contract', () => {
  const own = new Set([7]);
  assert.ok(isTrustedSender({ senderId: 7, frameUrl: `${APP_ORIGIN}/`, isMainFrame: true }, own));
  assert.ok(!isTrustedSender({ senderId: 8, frameUrl: `${APP_ORIGIN}/`, isMainFrame: true }, own), 'another webContents');
  assert.ok(!isTrustedSender({ senderId: 7, frameUrl: `${APP_ORIGIN}/`, isMainFrame: false }, own), 'a subframe');
  assert.ok(!isTrustedSender({ senderId: 7, frameUrl: 'https://evil.example/', isMainFrame: true }, own), 'navigated away');
  assert.ok(!isTrustedSender({ senderId: 7, frameUrl: 'file:///etc/passwd', isMainFrame: true }, own));
  assert.ok(!isTrustedSender({ senderId: 7, frameUrl: 'amur://other/', isMainFrame: true }, own), 'another host of the scheme');
  assert.ok(!isTrustedSender({ senderId: 7, frameUrl: undefined, isMainFrame: true }, own), 'a destroyed frame');
});

test('navigation stays inside the app; no permission is ever granted', () => {
  assert.ok(isAllowedNavigation(`${APP_ORIGIN}/index.html`));
  assert.ok(!isAllowedNavigation('https://example.com/'));
  assert.ok(!isAllowedNavigation('file:///C:/Windows/'));
  assert.ok(!isAllowedNavigation('javascript:alert(1)'));
  assert.ok(!isAllowedNavigation('not a url'));
  for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'hid', 'usb']) {
    assert.equal(permissionDecision(p), false, p);
  }
});

test('the session lets through only the app\'s own requests', () => {
  assert.ok(isAllowedRequest('amur://app/assets/index.js'));
  assert.ok(isAllowedRequest('data:image/png;base64,AAAA'));
  assert.ok(isAllowedRequest('blob:amur://app/0d1c-42'));
  for (const u of ['https://example.com/x.js', 'http://127.0.0.1:8080/', 'ws://127.0.0.1/ws', 'file:///etc/passwd', 'ftp://x/', 'blob:https://evil.example/1', 'amur://other/']) {
    assert.ok(!isAllowedRequest(u), u);
  }
});

test('amur://app/ URLs map into the bundle and cannot climb out of it', () => {
  const dist = resolve('/opt/amur/renderer/dist');
  assert.equal(resolveAppRequest('amur://app/', dist), join(dist, 'index.html'));
  assert.equal(resolveAppRequest('amur://app/assets/a.js?v=1', dist), join(dist, 'assets', 'a.js'));
  for (const u of [
    'amur://app/../../etc/passwd', 'amur://app/%2e%2e/%2e%2e/etc/passwd', 'amur://app/assets/..%2f..%2fsecret',
    'amur://app/..%5c..%5csecret', 'amur://other/index.html', 'https://app/index.html', 'amur://app/%00', 'nonsense',
  ]) {
    assert.equal(resolveAppRequest(u, dist), undefined, u);
  }
});
