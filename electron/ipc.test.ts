// The IPC wiring generated from the contract, driven through the same registration interface as
// Electron's ipcMain (handle/removeHandler) with a real StudyService over a temporary store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices, type HostedServices } from '../cli/host/services.js';
import type { Envelope } from '../core/contract/bridge.js';
import { channelName, contract } from '../core/contract/services.js';
import { PYDICOM_DATA } from '../test/shared-data.js';
import { unlockTestHome } from '../test/vault.js';
import { forwardEvents, registerContractHandlers, type IpcEventLike } from './ipc.js';
import { APP_ORIGIN, isTrustedSender } from './security.js';

type Listener = (event: IpcEventLike, ...args: unknown[]) => Promise<Envelope>;
const registered = new Map<string, Listener>();
const ipcMain = {
  handle: (channel: string, l: Listener) => void registered.set(channel, l),
  removeHandler: (channel: string) => void registered.delete(channel),
};
const own = new Set([1]);
const fromApp: IpcEventLike = { sender: { id: 1 }, senderFrame: { url: `${APP_ORIGIN}/`, parent: null } };
const fromElsewhere: IpcEventLike = { sender: { id: 1 }, senderFrame: { url: 'https://evil.example/', parent: null } };

let home: string;
let hosted: HostedServices;
let wiring: ReturnType<typeof registerContractHandlers>;
before(async () => {
  home = mkdtempSync(join(tmpdir(), 'amur-'));
  // The store opens only in an unlocked home: here as the CLI unlocks it (the desktop's own unlock is vault-unlock.test.ts).
  await unlockTestHome(home);
  hosted = createServices({ home });
  wiring = registerContractHandlers(ipcMain, hosted.services, (s) => isTrustedSender(s, own));
});
after(async () => {
  await hosted.close();
  rmSync(home, { recursive: true, force: true });
});

test('one handler per contract method, none for anything else', () => {
  const methods = Object.entries(contract).flatMap(([s, e]) => e.methods.map((m) => channelName(s, m)));
  assert.deepEqual([...registered.keys()].sort(), methods.sort());
});

test('a call from our window reaches the service; from another origin it does not', async () => {
  const file = join(PYDICOM_DATA, 'charset_files', 'chrX2.dcm');
  const refused = await registered.get(channelName('studies', 'importPaths'))!(fromElsewhere, [file]);
  assert.deepEqual(refused, { ok: false, error: { code: 'contract.untrustedSender', params: {}, message: 'untrusted sender' } });
  assert.deepEqual(await hosted.services.studies.listStudies(), [], 'nothing was imported');

  const progress: unknown[] = [];
  const stop = forwardEvents(wiring.handlers, (channel, value) => {
    if (channel === channelName('studies', 'onDidImportProgress')) progress.push(value);
  });
  const res = await registered.get(channelName('studies', 'importPaths'))!(fromApp, [file]);
  stop();
  assert.ok(res.ok, JSON.stringify(res));
  assert.equal((res.value as { imported: number }).imported, 1);
  assert.ok(progress.length > 0, 'progress events were forwarded to the window');
  const list = await registered.get(channelName('studies', 'listStudies'))!(fromApp);
  assert.ok(list.ok);
  assert.match((list.value as { PatientName: string }[])[0].PatientName, /^Wang\^XiaoDong=王\^小东/);
});

test('bad arguments come back as a translatable error, not a crash', async () => {
  const res = await registered.get(channelName('studies', 'listSeries'))!(fromApp, { not: 'a uid' });
  assert.equal(res.ok, false);
  assert.equal(!res.ok && res.error.code, 'contract.badArguments');
});

test('disposing removes every handler', () => {
  wiring.dispose();
  assert.equal(registered.size, 0);
});
