// The sandboxed preload can require only 'electron': its bundle must inline the contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildPreload, PRELOAD_BUNDLE } from './build-preload.js';
import { channelName, contract } from '../core/contract/services.js';

test('the preload bundle requires nothing but electron and carries every contract channel', async () => {
  await buildPreload();
  const code = readFileSync(PRELOAD_BUNDLE, 'utf8');
  const requires = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(requires)], ['electron']);
  assert.doesNotMatch(code, /\bimport\s*\(|from\s+["']/, 'no module loading left');
  for (const [service, entry] of Object.entries(contract)) {
    for (const m of [...entry.methods, ...entry.events]) assert.ok(code.includes(`"${m}"`), channelName(service, m));
  }
  assert.match(code, /exposeInMainWorld\("amur"/);
});
