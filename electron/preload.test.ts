// The preload as Electron runs it: one sandboxed CommonJS bundle that may require only 'electron'.
// The bundle is built, then run in a fresh VM context whose `electron` module records what the
// preload exposes and sends, so the allow-list is checked on the code that actually ships.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import type { ShellBridge } from '../core/contract/bridge.js';
import { channelName, contract } from '../core/contract/services.js';
import { buildPreload, PRELOAD_BUNDLE } from './build-preload.js';

let code: string;
before(async () => {
  await buildPreload();
  code = readFileSync(PRELOAD_BUNDLE, 'utf8');
});

function load() {
  const exposed: Record<string, unknown> = {};
  const invoked: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, ((e: unknown, v: unknown) => void)[]>();
  const electron = {
    contextBridge: { exposeInMainWorld: (name: string, api: unknown) => void (exposed[name] = api) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return { ok: true, value: `reply to ${channel}` };
      },
      on: (channel: string, l: (e: unknown, v: unknown) => void) => void listeners.set(channel, [...(listeners.get(channel) ?? []), l]),
      removeListener: (channel: string, l: (e: unknown, v: unknown) => void) =>
        void listeners.set(channel, (listeners.get(channel) ?? []).filter((x) => x !== l)),
    },
    webUtils: { getPathForFile: (f: { path: string }) => f.path },
  };
  const required: string[] = [];
  const require = (id: string) => {
    required.push(id);
    if (id !== 'electron') throw new Error(`a sandboxed preload cannot require ${id}`);
    return electron;
  };
  runInNewContext(code, { require, module: { exports: {} }, exports: {} });
  return { bridge: exposed.amur as ShellBridge, exposed, invoked, listeners, required };
}

test('the bundle requires only electron and exposes one object, window.amur', () => {
  const { exposed, required } = load();
  assert.deepEqual([...new Set(required)], ['electron']);
  assert.deepEqual(Object.keys(exposed), ['amur']);
  assert.deepEqual(Object.keys(exposed.amur as object).sort(), ['invoke', 'listen', 'pathForFile']);
});

test('every contract method passes through; anything else never reaches IPC', async () => {
  const { bridge, invoked } = load();
  for (const [service, entry] of Object.entries(contract)) {
    for (const m of entry.methods) {
      const res = await bridge.invoke(channelName(service, m), ['x']);
      assert.deepEqual(res, { ok: true, value: `reply to ${channelName(service, m)}` });
    }
  }
  const count = invoked.length;
  for (const bad of ['amur:studies.onDidImportProgress', 'amur:studies.dropAll', 'ELECTRON_BROWSER_REQUIRE', 'amur:constructor']) {
    const res = await bridge.invoke(bad, []);
    assert.equal(res.ok, false, bad);
    assert.equal(!res.ok && res.error.code, 'contract.unknownChannel');
  }
  assert.equal(invoked.length, count, 'refused calls were not sent');
});

test('events: only contract events, the page never sees Electron\'s event object, unsubscribing works', () => {
  const { bridge, listeners } = load();
  assert.throws(() => bridge.listen('amur:studies.listStudies', () => undefined));
  assert.throws(() => bridge.listen('some-internal-channel', () => undefined));
  const got: unknown[] = [];
  const channel = channelName('studies', 'onDidChangeStudies');
  const off = bridge.listen(channel, (...args: unknown[]) => got.push(args));
  for (const l of listeners.get(channel) ?? []) l({ sender: 'secret internals' }, { StudyInstanceUIDs: ['1.2'] });
  assert.deepEqual(got, [[{ StudyInstanceUIDs: ['1.2'] }]]);
  off();
  assert.equal(listeners.get(channel)?.length, 0);
});

test('a chosen file is turned into its path by webUtils', () => {
  const { bridge } = load();
  assert.equal(bridge.pathForFile({ path: '/media/cd/DICOMDIR' }), '/media/cd/DICOMDIR');
});
