import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeTransport, type ShellBridge } from './bridge.js';
import { RemoteError } from './proxy.js';

test('the bridge transport opens envelopes and rebuilds errors with their code', async () => {
  const bridge: ShellBridge = {
    invoke: async (channel) =>
      channel === 'ok'
        ? { ok: true, value: 42 }
        : { ok: false, error: { code: 'import.notFound', params: { path: '/x' }, message: 'no such file' } },
    listen: () => () => undefined,
    pathForFile: () => '',
  };
  const t = bridgeTransport(bridge);
  assert.equal(await t.call('ok', []), 42);
  await assert.rejects(t.call('bad', []), (e: unknown) => e instanceof RemoteError && e.code === 'import.notFound' && e.params.path === '/x');
});
