import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmurError } from '../common/errors.js';
import { checkArguments, createChannelHandlers, createServiceProxy, RemoteError, toWireError, type ClientTransport } from './proxy.js';
import { channelName, contract, type AmurServices } from './services.js';
import type { ImportProgress } from './studies.js';

/** A tiny StudyService that records what reached it: the subject here is the transport mechanism. */
function recordingServices() {
  const calls: { method: string; args: unknown[] }[] = [];
  const progress = new Set<(p: ImportProgress) => void>();
  const studies = {
    async listStudies() { calls.push({ method: 'listStudies', args: [] }); return []; },
    async listSeries(uid: string) { calls.push({ method: 'listSeries', args: [uid] }); return []; },
    async listInstances(uid: string) { calls.push({ method: 'listInstances', args: [uid] }); return []; },
    async importPaths(paths: string[]) {
      calls.push({ method: 'importPaths', args: [paths] });
      if (paths.includes('/missing')) throw new AmurError('import.notFound', { path: '/missing' });
      for (const l of progress) l({ seen: 1, imported: 1, duplicates: 0, rejected: 0, walkDone: true });
      return { imported: 1, duplicates: 0, rejected: [], studies: ['1.2.3'] };
    },
    onDidImportProgress: (l: (p: ImportProgress) => void) => { progress.add(l); return () => void progress.delete(l); },
    onDidChangeStudies: () => () => undefined,
    onDidChangeStudyStatus: () => () => undefined,
  };
  // Every other service of the contract gets members that only record, so the whole contract is wired.
  const all: Record<string, Record<string, unknown>> = { studies };
  for (const [service, entry] of Object.entries(contract) as [string, { methods: readonly string[]; events: readonly string[] }][]) {
    if (all[service]) continue;
    const impl: Record<string, unknown> = {};
    for (const m of entry.methods) impl[m] = async (...args: unknown[]) => void calls.push({ method: `${service}.${m}`, args });
    for (const e of entry.events) impl[e] = () => () => undefined;
    all[service] = impl;
  }
  return { calls, services: all as unknown as AmurServices, progress };
}

/** An in-process transport: the two generated halves connected directly, errors as on the wire. */
function loopback(services: AmurServices): ClientTransport {
  const handlers = createChannelHandlers(services);
  return {
    async call(channel, args) {
      const h = handlers.get(channel);
      if (h?.kind !== 'method') throw new Error('unknown channel');
      try { return await h.invoke(args); } catch (e) { throw new RemoteError(toWireError(e)); }
    },
    listen(channel, listener) {
      const h = handlers.get(channel);
      if (h?.kind !== 'event') throw new Error('unknown channel');
      return h.subscribe(listener);
    },
  };
}

test('every method and event of the contract gets a channel, and nothing else does', () => {
  const { services } = recordingServices();
  const handlers = createChannelHandlers(services);
  const expected = Object.entries(contract).flatMap(([s, e]) => [...e.methods, ...e.events].map((m) => channelName(s, m)));
  assert.deepEqual([...handlers.keys()].sort(), expected.sort());
  assert.equal(handlers.get('amur:studies.listStudies')?.kind, 'method');
  assert.equal(handlers.get('amur:studies.onDidImportProgress')?.kind, 'event');
});

test('a proxy call reaches the implementation with its arguments, and events come back', async () => {
  const { calls, services } = recordingServices();
  const proxy = createServiceProxy(loopback(services));
  const seen: ImportProgress[] = [];
  const off = proxy.studies.onDidImportProgress((p) => seen.push(p));
  const summary = await proxy.studies.importPaths(['/data/a.dcm']);
  assert.deepEqual(summary.studies, ['1.2.3']);
  assert.deepEqual(calls, [{ method: 'importPaths', args: [['/data/a.dcm']] }]);
  assert.equal(seen.length, 1);
  off();
  await proxy.studies.importPaths(['/data/b.dcm']);
  assert.equal(seen.length, 1, 'no events after unsubscribing');
});

test('an AmurError crosses as its code and parameters, so the UI can translate it', async () => {
  const proxy = createServiceProxy(loopback(recordingServices().services));
  await assert.rejects(proxy.studies.importPaths(['/missing']), (e: unknown) => {
    assert.ok(e instanceof RemoteError);
    assert.equal(e.code, 'import.notFound');
    assert.deepEqual(e.params, { path: '/missing' });
    return true;
  });
});

test('arguments that do not fit the declared shapes never reach the service', async () => {
  const { calls, services } = recordingServices();
  const proxy = createServiceProxy(loopback(services)) as any;
  for (const bad of [[123], ['../../etc'], ['1.2.3', 'extra'], [{ toString: '1.2' }]]) {
    await assert.rejects(proxy.studies.listSeries(...bad), (e: RemoteError) => e.code === 'contract.badArguments');
  }
  await assert.rejects(proxy.studies.importPaths('/not/a/list'), (e: RemoteError) => e.code === 'contract.badArguments');
  await assert.rejects(proxy.studies.importPaths([1, 2]), (e: RemoteError) => e.code === 'contract.badArguments');
  assert.deepEqual(calls, []);
  await proxy.studies.listSeries('1.2.840.10008.5.1');
  assert.equal(calls.length, 1);
});

test('methods without declared shapes still get plain data only', () => {
  assert.throws(() => checkArguments('other', 'method', [() => 1]));
  assert.throws(() => checkArguments('other', 'method', [new Date()]));
  assert.throws(() => checkArguments('other', 'method', 'x'));
  let deep: unknown = 'x';
  for (let i = 0; i < 20; i++) deep = [deep];
  assert.throws(() => checkArguments('other', 'method', [deep]));
  checkArguments('other', 'method', [{ a: [1, 'b', null, true], bytes: new Uint8Array(4) }]);
});
