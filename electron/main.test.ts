// The desktop shell's main process, loaded in plain Node with Electron's module replaced by a
// recorder of the calls main.ts makes (the runtime cannot be launched here). It checks the wiring:
// the scheme is privileged before `ready`, the sandbox is on, the session denies and filters, the
// protocol serves the bundle with the CSP, the window gets the policy's options and the app URL,
// and IPC answers our window and no one else; the home is unlocked with the key store's vault.key
// before the services open. The services behind it are the real ones; safeStorage is a fake
// (fake-safe-storage.ts) only because Electron's runtime cannot run here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_DIR, ensureRendererBuilt } from '../cli/host/build-renderer.js';
import { channelName, contract } from '../core/contract/services.js';
import { vaultKey } from '../core/vault/session.js';
import { vaultPath } from '../core/vault/vault.js';
import { shared } from '../test/shared-data.js';
import { FakeSafeStorage } from './fake-safe-storage.js';
import { APP_PARTITION, APP_SCHEME_PRIVILEGES, APP_URL, CONTENT_SECURITY_POLICY, windowOptions } from './security.js';

const calls: string[] = [];
const handlers = new Map<string, (...a: any[]) => any>();
const appEvents = new Map<string, (...a: any[]) => any>();
const windows: FakeWindow[] = [];
const partitions: string[] = [];
const paths = new Map<string, string>();
const dialogs: [string, string][] = [];
const safeStorage = new FakeSafeStorage();
let protocolHandler: ((req: Request) => Promise<Response>) | undefined;
let permissionRequest: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
let permissionCheck: ((wc: unknown, p: string) => boolean) | undefined;
let beforeRequest: ((d: { url: string }, cb: (r: { cancel: boolean }) => void) => void) | undefined;
let ready!: () => void;

class FakeWindow {
  static nextId = 1;
  readonly events = new Map<string, (...a: any[]) => void>();
  readonly sent: [string, unknown][] = [];
  loaded = '';
  readonly webContents = { id: FakeWindow.nextId++, send: (c: string, v: unknown) => void this.sent.push([c, v]) };
  constructor(readonly options: unknown) {
    windows.push(this);
    calls.push('new BrowserWindow');
  }
  once(e: string, f: (...a: any[]) => void) { this.events.set(e, f); }
  on(e: string, f: (...a: any[]) => void) { this.events.set(e, f); }
  loadURL(u: string) { this.loaded = u; return Promise.resolve(); }
  isDestroyed() { return false; }
  isMinimized() { return false; }
  restore() {}
  focus() { calls.push('focus'); }
  show() {}
  static getAllWindows() { return windows; }
}

(globalThis as any).__amurFakeElectron = {
  app: {
    enableSandbox: () => void calls.push('enableSandbox'),
    setName: (n: string) => void calls.push(`setName ${n}`),
    setPath: (name: string, p: string) => { calls.push(`setPath ${name}`); paths.set(name, p); },
    requestSingleInstanceLock: () => { calls.push('requestSingleInstanceLock'); return true; },
    whenReady: () => { calls.push('whenReady'); return new Promise<void>((r) => { ready = r; }); },
    getPreferredSystemLanguages: () => ['en-US'],
    on: (e: string, f: (...a: any[]) => any) => void appEvents.set(e, f),
    quit: () => void calls.push('quit'),
    exit: (code: number) => void calls.push(`exit ${code}`),
  },
  safeStorage,
  dialog: { showErrorBox: (title: string, message: string) => void dialogs.push([title, message]) },
  crashReporter: { start: () => void calls.push('crashReporter.start') },
  BrowserWindow: FakeWindow,
  ipcMain: { handle: (c: string, f: (...a: any[]) => any) => void handlers.set(c, f), removeHandler: (c: string) => void handlers.delete(c) },
  protocol: {
    registerSchemesAsPrivileged: (s: unknown) => { calls.push('registerSchemesAsPrivileged'); assert.deepEqual(s, [APP_SCHEME_PRIVILEGES]); },
  },
  session: {
    // Only the window's in-memory partition is configured; the default (persistent) session is never used.
    fromPartition: (name: string) => {
      partitions.push(name);
      return {
        setPermissionRequestHandler: (f: typeof permissionRequest) => { permissionRequest = f; },
        setPermissionCheckHandler: (f: typeof permissionCheck) => { permissionCheck = f; },
        setDevicePermissionHandler: () => undefined,
        webRequest: { onBeforeRequest: (f: typeof beforeRequest) => { beforeRequest = f; } },
        protocol: { handle: (scheme: string, f: (req: Request) => Promise<Response>) => { calls.push(`protocol.handle ${scheme}`); protocolHandler = f; } },
      };
    },
  },
};

// Resolve `electron` to a module that hands out the recorder above.
const hooks = `
export async function resolve(s, c, next) { return s === 'electron' ? { url: 'amur-fake:electron', shortCircuit: true } : next(s, c); }
export async function load(u, c, next) {
  if (u !== 'amur-fake:electron') return next(u, c);
  const names = ['app', 'BrowserWindow', 'crashReporter', 'dialog', 'ipcMain', 'protocol', 'safeStorage', 'session'];
  const source = 'const e = globalThis.__amurFakeElectron;' + names.map((n) => 'export const ' + n + ' = e.' + n + ';').join('');
  return { format: 'module', source, shortCircuit: true };
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

let home: string;
const savedHome = process.env.AMUR_HOME;
before(async () => {
  await ensureRendererBuilt();
  home = mkdtempSync(join(tmpdir(), 'amur-'));
  process.env.AMUR_HOME = home;
  const loading = import('./main.js');
  // main.ts waits for `ready`; by then the scheme must be privileged and the sandbox enabled.
  while (!ready) await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls.slice(0, calls.indexOf('whenReady')), ['registerSchemesAsPrivileged', 'enableSandbox', 'setName Amur', 'setPath userData', 'requestSingleInstanceLock']);
  ready();
  await loading;
});
after(() => {
  appEvents.get('will-quit')?.();
  process.env.AMUR_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
});

test('one window with the policy\'s options, loading the app from amur://app/', () => {
  assert.equal(windows.length, 1);
  const preload = fileURLToPath(new URL('../out/electron/preload.cjs', import.meta.url));
  assert.deepEqual(windows[0].options, windowOptions(preload));
  assert.equal(windows[0].loaded, APP_URL);
});

test('the window\'s session is an in-memory partition (nothing the page stores reaches the disk), and it is the one configured', () => {
  const wp = (windows[0].options as { webPreferences: { partition?: string } }).webPreferences;
  assert.equal(wp.partition, APP_PARTITION);
  assert.ok(!APP_PARTITION.startsWith('persist:'), 'a persist: partition would be written to disk');
  assert.deepEqual([...new Set(partitions)], [APP_PARTITION]);
});

test('the protocol serves the bundle with the CSP and refuses what is not in it', async () => {
  const res = await protocolHandler!(new Request('amur://app/'));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.match(await res.text(), /<div id="root">/);
  assert.equal((await protocolHandler!(new Request('amur://app/%2e%2e/%2e%2e/package.json'))).status, 404);
  assert.equal((await protocolHandler!(new Request('amur://app/no-such-file.js'))).status, 404);
});

test("pdf.js's module worker is served from the app as JavaScript (Chromium starts no module worker of another type)", async () => {
  const worker = readdirSync(join(DIST_DIR, 'assets')).find((f) => /^pdf\.worker.*\.mjs$/.test(f));
  assert.ok(worker, 'the bundle carries pdf.js\'s worker');
  const res = await protocolHandler!(new Request(`amur://app/assets/${worker}`));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
});

test('the session denies every permission and cancels foreign requests', () => {
  let granted: boolean | undefined;
  permissionRequest!({}, 'media', (ok) => { granted = ok; });
  assert.equal(granted, false);
  assert.equal(permissionCheck!({}, 'notifications'), false);
  const verdict = (url: string) => { let r: { cancel: boolean } | undefined; beforeRequest!({ url }, (x) => { r = x; }); return r!.cancel; };
  assert.equal(verdict('https://example.com/track.js'), true);
  assert.equal(verdict('amur://app/assets/index.js'), false);
});

test('every web contents is kept from navigating away or opening windows', () => {
  const listeners = new Map<string, (e: { preventDefault(): void }, url?: string) => void>();
  let openHandler: (() => { action: string }) | undefined;
  appEvents.get('web-contents-created')!({}, {
    on: (e: string, f: (ev: { preventDefault(): void }, url?: string) => void) => void listeners.set(e, f),
    setWindowOpenHandler: (f: () => { action: string }) => { openHandler = f; },
  });
  const prevented = (event: string, url?: string) => { let p = false; listeners.get(event)!({ preventDefault: () => { p = true; } }, url); return p; };
  assert.equal(prevented('will-navigate', 'https://evil.example/'), true);
  assert.equal(prevented('will-navigate', 'amur://app/index.html'), false);
  assert.equal(prevented('will-redirect', 'http://127.0.0.1:1/'), true);
  assert.equal(prevented('will-attach-webview'), true);
  assert.deepEqual(openHandler!(), { action: 'deny' });
});

test('IPC answers every contract method for our window, and refuses a foreign frame', async () => {
  const methods = Object.entries(contract).flatMap(([s, e]) => e.methods.map((m) => channelName(s, m)));
  assert.deepEqual([...handlers.keys()].sort(), methods.sort());
  const own = { sender: { id: windows[0].webContents.id }, senderFrame: { url: APP_URL, parent: null } };
  const listStudies = handlers.get(channelName('studies', 'listStudies'))!;
  assert.deepEqual(await listStudies(own), { ok: true, value: [] });
  const foreign = { sender: { id: 999 }, senderFrame: { url: APP_URL, parent: null } };
  assert.equal((await listStudies(foreign)).ok, false);
  const subframe = { sender: { id: windows[0].webContents.id }, senderFrame: { url: APP_URL, parent: {} } };
  assert.equal((await listStudies(subframe)).ok, false);
});

test('the home is unlocked with the key store before the services open: vault.json and vault.key, no dialog', () => {
  assert.deepEqual(dialogs, []);
  assert.ok(!calls.some((c) => c.startsWith('exit')));
  assert.ok(existsSync(vaultPath(home)));
  const kept = JSON.parse(readFileSync(join(home, 'vault.key'), 'utf8')) as { sealed: string };
  assert.equal(safeStorage.decryptString(Buffer.from(kept.sealed, 'base64')), vaultKey(home).export().toString('base64'));
  assert.ok(existsSync(join(home, 'store', 'catalogue.sqlite')), 'and then the store opened');
});

test('Chromium\'s profile lives in the home it serves, and no crash reporter is started (no crash dump holds images)', () => {
  assert.equal(paths.get('userData'), join(home, 'electron'));
  assert.ok(!calls.includes('crashReporter.start'));
});

test('the window title stays the app\'s name: a page cannot put anything else (a patient\'s name) there', () => {
  const titleChanged = windows[0].events.get('page-title-updated')!;
  const prevented = (title: string) => { let p = false; titleChanged({ preventDefault: () => { p = true; } }, title); return p; };
  assert.equal(prevented('Amur'), false);
  assert.equal(prevented('Амур'), false);
  assert.equal(prevented('阿穆尔'), false);
  assert.equal(prevented('Amur — IVANOV^IVAN 1.2.840.113619'), true);
  assert.equal(prevented(''), true);
});

test('files handed over by the system (a second launch\'s arguments, macOS open-file) are imported into the store the window shows', async () => {
  const ct = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
  let defaultPrevented = false;
  appEvents.get('open-file')!({ preventDefault: () => { defaultPrevented = true; } }, join(ct, '01.dcm'));
  appEvents.get('second-instance')!({}, ['/opt/Amur/amur', '--no-sandbox', '02.dcm'], ct);
  assert.ok(defaultPrevented, 'macOS is told the file was taken');
  assert.ok(calls.includes('focus'), 'a second launch brings the window forward');
  const own = { sender: { id: windows[0].webContents.id }, senderFrame: { url: APP_URL, parent: null } };
  const listStudies = handlers.get(channelName('studies', 'listStudies'))!;
  // The window learns of it as of any import: the studies-changed event is sent to it.
  const changed = channelName('studies', 'onDidChangeStudies');
  for (const deadline = Date.now() + 60_000; !windows[0].sent.some(([c]) => c === changed) || (await listStudies(own)).value[0]?.NumberOfStudyRelatedInstances !== 2;) {
    assert.ok(Date.now() < deadline, 'the handed-over files were imported within a minute');
    await new Promise((r) => setTimeout(r, 50));
  }
  const [study] = (await listStudies(own)).value;
  assert.equal(study.NumberOfStudyRelatedInstances, 2);
});
