// The desktop shell's main process when the home cannot be unlocked: loaded in plain Node with
// Electron's module replaced by a recorder (as in main.test.ts) and a fake safeStorage whose key
// store is unavailable (the fake only because Electron's runtime cannot run here). The app says
// why in a translated dialog and exits non-zero; no window opens and the store is never touched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { t } from '../core/i18n/index.js';
import { FakeSafeStorage } from './fake-safe-storage.js';

const calls: string[] = [];
const dialogs: [string, string][] = [];
const handlers: string[] = [];
const safeStorage = new FakeSafeStorage();
safeStorage.available = false;

(globalThis as any).__amurFakeElectron = {
  app: {
    enableSandbox: () => undefined,
    setName: () => undefined,
    setPath: () => undefined,
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    getPreferredSystemLanguages: () => ['en-US'],
    on: () => undefined,
    quit: () => void calls.push('quit'),
    exit: (code: number) => void calls.push(`exit ${code}`),
  },
  BrowserWindow: class { constructor() { calls.push('new BrowserWindow'); } static getAllWindows() { return []; } },
  crashReporter: { start: () => void calls.push('crashReporter.start') },
  dialog: { showErrorBox: (title: string, message: string) => void dialogs.push([title, message]) },
  ipcMain: { handle: (c: string) => void handlers.push(c), removeHandler: () => undefined },
  protocol: { registerSchemesAsPrivileged: () => undefined },
  safeStorage,
  session: { fromPartition: () => { calls.push('session'); return {}; } },
};

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
const saved = { home: process.env.AMUR_HOME, pass: process.env.AMUR_PASSPHRASE_FILE, lang: process.env.AMUR_LANG };
before(async () => {
  home = mkdtempSync(join(tmpdir(), 'amur-'));
  process.env.AMUR_HOME = home;
  process.env.AMUR_LANG = 'ru';
  delete process.env.AMUR_PASSPHRASE_FILE; // no passphrase either: nothing can keep the key
  await import('./main.js');
});
after(() => {
  for (const [k, v] of [['AMUR_HOME', saved.home], ['AMUR_PASSPHRASE_FILE', saved.pass], ['AMUR_LANG', saved.lang]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(home, { recursive: true, force: true });
});

test('no key store: a dialog in the reader\'s language says why and how to go on, and the app exits 1', () => {
  assert.equal(dialogs.length, 1);
  const [title, message] = dialogs[0];
  assert.equal(title, t('desktopVault.dialog.vaultTitle', {}, 'ru'));
  assert.ok(message.includes(home) && message.includes('AMUR_PASSPHRASE_FILE'), message);
  assert.deepEqual(calls, ['exit 1']);
});

test('no window, no IPC, no session, no store: nothing was created in the home', () => {
  assert.deepEqual(handlers, []);
  assert.equal(existsSync(join(home, 'vault.json')), false);
  assert.equal(existsSync(join(home, 'store')), false);
  assert.deepEqual(readdirSync(home), []);
});
