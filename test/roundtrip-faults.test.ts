// The round trip when things go wrong, on the same real engines as test/roundtrip.test.ts: every
// command of both sides runs in its own process against real Orthancs, through a TCP proxy
// (test/fault-proxy.ts) that resets or stalls a connection mid-transfer on request. Each fault is
// followed by running the same command again, and the check is what a hospital's IT or a reader
// would look at: what the exchange, the PACS and the reader's store hold. Nothing lost, nothing
// twice.
//   - a connection reset in the middle of a STOW (hospital send) and of a WADO (pull);
//   - kill -9 of hospital send, pull, deliver and hospital receive while their transfer is under way;
//     for deliver and receive after the server stored the objects but before its answer came back
//     (the lost response: the retry must not make a second copy);
//   - the exchange itself stopped during a pull.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import type { TestPki } from './fixtures/pki/pki.js';
import { startOrthanc, type OrthancInstance } from './orthanc.js';
import {
  amur, amurInBackground, credentialsFile, makeAgreement, makePartnerStudies, makeWorld, ok, restJson, signReport, upload, type RoundTripWorld,
} from './roundtrip-helpers.js';

let world: RoundTripWorld;
let pki: TestPki;
let tmp: string;
let hospitalHome: string;
let readerHome: string;
let exchange: OrthancInstance;
let pacs: OrthancInstance;
/** Every request to the exchange, from either side, goes through it: the agreement names it. */
let link: FaultProxy;
/** The hospital's link to its own PACS. */
let pacsLink: FaultProxy;
let studies: ReturnType<typeof makePartnerStudies>;
let pacsCred: string;
const AGREEMENT = 'GZ-2026-01';
const MB = 1024 * 1024;

/**
 * A command that talks to the network, run in its own process while this one keeps serving the
 * proxies (a synchronous spawn would freeze them).
 */
const cli = (home: string, args: string[], lang = 'en') => amurInBackground(home, args, lang).done;

const portOf = (url: string) => Number(new URL(url).port);

/** Polls until check() holds (the other process has got that far), or fails after a while. */
async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await delay(25);
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function studiesOn(o: OrthancInstance): Promise<{ ID: string; MainDicomTags: Record<string, string>; Instances?: string[] }[]> {
  return restJson(o, '/studies?expand');
}

async function instancesOnExchange(): Promise<number> {
  return (await restJson<string[]>(exchange, '/instances')).length;
}

function readerStudy(uid: string): any {
  return (ok(amur(readerHome, ['studies', '--json']), 'studies').json() as any[]).find((s) => s.StudyInstanceUID === uid);
}

/** Instances of the study in the reader's store, counted by `amur studies`. */
function readerInstances(uid: string): number {
  return readerStudy(uid)?.NumberOfStudyRelatedInstances ?? 0;
}

function sendArgs(): string[] {
  return ['hospital', 'send', '--agreement', AGREEMENT, '--pacs', `${pacsLink.origin}/dicom-web`, '--pacs-credentials', pacsCred,
    '--study', studies['ct-gb18030'].uid, '--request-id', 'REQ-F1', '--consent', 'CONSENT-F1', '--json'];
}

function receiveArgs(): string[] {
  return ['hospital', 'receive', '--agreement', AGREEMENT, '--pacs', `${pacsLink.origin}/dicom-web`, '--pacs-credentials', pacsCred,
    '--identity', pki.file('rsa.p12'), '--passphrase-file', pki.file('passphrase.txt'), '--json'];
}

before(async () => {
  world = makeWorld('amur-faults-');
  ({ pki, tmp, hospitalHome, readerHome, studies } = world);
  [exchange, pacs] = await Promise.all([startOrthanc({ name: 'exchange' }), startOrthanc({ name: 'pacs' })]);
  link = await startFaultProxy(portOf(exchange.restUrl));
  pacsLink = await startFaultProxy(portOf(pacs.restUrl));
  await upload(pacs, studies['ct-gb18030'].dir);
  pacsCred = credentialsFile(tmp, pacs, 'pacs-cred');
  makeAgreement({ pki, dir: tmp, homes: [hospitalHome, readerHome], exchangeUrl: `${link.origin}/dicom-web`,
    credentials: credentialsFile(tmp, exchange, 'exchange-cred') });
});

after(async () => {
  await Promise.all([link?.close(), pacsLink?.close()]);
  await Promise.all([exchange?.destroy(), pacs?.destroy()]);
  world?.remove();
});

afterEach(() => {
  // A failed test must not leave its fault on the links of the next one.
  for (const l of [link, pacsLink]) {
    l.setFault(undefined);
    l.dropAll();
  }
});

describe('round trip under faults: reset, kill -9, the exchange stopped; each recovered by running again', () => {
  let deidStudy = '';

  it('hospital send: a connection reset in the middle of a STOW fails with the exchange named; sending again completes', async () => {
    link.setFault({ direction: 'request', afterBytes: 2 * MB, action: 'reset', once: true });
    const r = (await cli(hospitalHome, sendArgs()));
    assert.equal(link.hits, 1, 'the STOW was cut');
    assert.notEqual(r.code, 0, 'a cut transfer is a failure');
    assert.ok(r.err.includes(`127.0.0.1:${link.port}`), `the message names the exchange: ${r.err}`);
    assert.ok(!r.err.includes('张') && !r.err.includes('GZ-2026-000123'), 'no patient data in the message');
    const again = ok((await cli(hospitalHome, sendArgs())), 'send again').json() as { study: string; instances: number };
    assert.equal(again.instances, 28);
    deidStudy = again.study;
    assert.equal(await instancesOnExchange(), 28);
  });

  it('hospital send: kill -9 while its STOW hangs; the next send sends what is missing, once', async () => {
    // A second study of the same patient (new UIDs) so that there is something left to send.
    const second = join(tmp, 'studies-2');
    const more = makePartnerStudies(second, `${tmp}-2`);
    await upload(pacs, more['ct-gb18030'].dir);
    const args = sendArgs().map((a) => (a === studies['ct-gb18030'].uid ? more['ct-gb18030'].uid : a));
    link.setFault({ direction: 'request', afterBytes: 3 * MB, action: 'stall', once: true });
    const bg = amurInBackground(hospitalHome, args);
    await link.hit();
    bg.child.kill('SIGKILL');
    assert.equal((await bg.done).signal, 'SIGKILL');
    const r = ok((await cli(hospitalHome, args)), 'send after kill -9').json() as { study: string; instances: number };
    assert.equal(r.instances, 28);
    const onExchange = await studiesOn(exchange);
    assert.equal(onExchange.length, 2, 'two de-identified studies');
    assert.equal(await instancesOnExchange(), 56, '28 + 28, none twice');
    assert.ok(onExchange.some((s) => s.MainDicomTags.StudyInstanceUID === r.study));
    // Only the first study is this test's case from here on: take the second off the exchange.
    const id = onExchange.find((s) => s.MainDicomTags.StudyInstanceUID === r.study)!.ID;
    await restJson(exchange, `/studies/${id}`, { method: 'DELETE' });
  });

  it('pull: a connection reset mid-WADO fails naming the exchange; pulling again completes without duplicates', async () => {
    link.setFault({ direction: 'response', afterBytes: 6 * MB, action: 'reset', once: true });
    const r = (await cli(readerHome, ['pull', '--agreement', AGREEMENT, '--json']));
    assert.equal(link.hits, 1);
    assert.notEqual(r.code, 0, `a cut pull is a failure: ${r.out}`);
    assert.ok(`${r.err}${r.out}`.includes(`127.0.0.1:${link.port}`), `names the exchange: ${r.err}${r.out}`);
    const partial = readerInstances(deidStudy);
    assert.ok(partial < 28, `the cut came before the end (${partial})`);
    const again = ok((await cli(readerHome, ['pull', '--json'])), 'pull again').json();
    assert.deepEqual(again, { pulled: [deidStudy], refused: [] });
    assert.equal(readerInstances(deidStudy), 28);
  });

  it('pull: kill -9 while the WADO hangs; the next pull does not hang and fetches only what is missing', async () => {
    const fresh = join(tmp, 'reader-2');
    ok(amur(fresh, ['agreement', 'import', join(tmp, 'agreement.json'), '--trust', pki.file('ca.pem'),
      '--credentials', join(tmp, 'exchange-cred.json')]), 'import');
    link.setFault({ direction: 'response', afterBytes: 5 * MB, action: 'stall', once: true });
    const bg = amurInBackground(fresh, ['pull', '--json']);
    await link.hit();
    await delay(300);
    bg.child.kill('SIGKILL');
    assert.equal((await bg.done).signal, 'SIGKILL');
    const r = (await cli(fresh, ['pull', '--json']));
    assert.equal(r.signal, null, `the pull after a kill -9 finished (${r.err})`);
    ok(r, 'pull after kill -9');
    assert.deepEqual(r.json(), { pulled: [deidStudy], refused: [] });
    const list = ok(amur(fresh, ['studies', '--json']), 'studies').json() as any[];
    assert.equal(list.length, 1);
    assert.equal(list[0].NumberOfStudyRelatedInstances, 28);
  });

  it('pull: the exchange stopped in the middle fails naming it; after it is back, pulling again completes', async () => {
    const fresh = join(tmp, 'reader-3');
    ok(amur(fresh, ['agreement', 'import', join(tmp, 'agreement.json'), '--trust', pki.file('ca.pem'),
      '--credentials', join(tmp, 'exchange-cred.json')]), 'import');
    link.setFault({ direction: 'response', afterBytes: 5 * MB, action: 'stall', once: true });
    const bg = amurInBackground(fresh, ['pull', '--json'], 'ru');
    await link.hit();
    await exchange.kill();
    link.dropAll();
    const r = await bg.done;
    assert.notEqual(r.code, 0);
    assert.ok(`${r.err}${r.out}`.includes(`127.0.0.1:${link.port}`), `names the exchange: ${r.err}${r.out}`);
    assert.match(`${r.err}${r.out}`, /[а-яА-Я]/, 'in the reader\'s language');
    await exchange.restart();
    ok((await cli(fresh, ['pull', '--json'])), 'pull after restart');
    const list = ok(amur(fresh, ['studies', '--json']), 'studies').json() as any[];
    assert.equal(list.length, 1);
    assert.equal(list[0].NumberOfStudyRelatedInstances, 28);
  });

  it('deliver: kill -9 after the exchange stored the report but before its answer came; delivering again makes no second copy', async () => {
    signReport(readerHome, deidStudy, tmp, 'signed', pki);
    assert.equal((ok(amur(readerHome, ['outbox', 'list', '--json']), 'outbox').json() as any[])[0].status, 'queued');
    // The answer to the STOW hangs: the request goes through, the response never comes back.
    link.setFault({ direction: 'response', afterBytes: 0, action: 'stall', from: /^POST / });
    const bg = amurInBackground(readerHome, ['deliver', '--json']);
    await until('the exchange to hold the report', async () => (await instancesOnExchange()) >= 29);
    bg.child.kill('SIGKILL');
    assert.equal((await bg.done).signal, 'SIGKILL');
    link.setFault(undefined);
    link.dropAll();
    const items = ok(amur(readerHome, ['outbox', 'list', '--json']), 'outbox').json() as any[];
    assert.equal(items.length, 1);
    assert.notEqual(items[0].status, 'delivered', 'no answer came: not known to be delivered');
    const r = ok((await cli(readerHome, ['deliver', '--json'])), 'deliver again').json();
    assert.deepEqual(r, { delivered: 1, failed: [] });
    assert.equal(await instancesOnExchange(), 30, '28 images + SR + PDF, the report once');
    assert.equal((ok(amur(readerHome, ['outbox', 'list', '--json']), 'outbox').json() as any[])[0].status, 'delivered');
    assert.equal(readerStudy(deidStudy).status, 'delivered');
  });

  it('hospital receive: kill -9 after the PACS filed the report but before its answer came; receiving again files nothing twice', async () => {
    const reportsInPacs = async () =>
      (await restJson<unknown[]>(pacs, '/tools/find', {
        method: 'POST',
        body: JSON.stringify({ Level: 'Instance', Query: { StudyInstanceUID: studies['ct-gb18030'].uid, Modality: 'SR\\DOC' } }),
      })).length;
    pacsLink.setFault({ direction: 'response', afterBytes: 0, action: 'stall', from: /^POST / });
    const bg = amurInBackground(hospitalHome, receiveArgs());
    await until('the PACS to hold the first report object', async () => (await reportsInPacs()) >= 1);
    bg.child.kill('SIGKILL');
    assert.equal((await bg.done).signal, 'SIGKILL');
    pacsLink.setFault(undefined);
    pacsLink.dropAll();
    const r = ok((await cli(hospitalHome, receiveArgs())), 'receive again').json() as { filed: number; rejected: unknown[] };
    assert.deepEqual(r.rejected, []);
    assert.equal(r.filed, 2, 'both objects filed (one of them again, under the same SOP Instance UID)');
    assert.equal(await reportsInPacs(), 2, 'SR and PDF, each once, in the original study');
    assert.deepEqual(ok((await cli(hospitalHome, receiveArgs())), 'receive once more').json(), { filed: 0, rejected: [] });
  });
});
