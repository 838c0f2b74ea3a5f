// The exchange clients against a real Orthanc (DICOMweb plugin, authentication on) and a
// DIMSE-only one: STOW-RS, QIDO-RS on a non-key attribute, WADO-RS streamed byte for byte, the
// outcome of a refused instance, wrong credentials, a server that is down or goes down, C-STORE
// and C-GET by AE title.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { AmurError } from '../core/common/errors.js';
import { IMPLEMENTATION_CLASS_UID } from '../core/reports/dcmjs.js';
import { DicomWebClient, dimseGetStudy, dimseStore, parsePeerUrl } from '../core/exchange/index.js';
import { freePort } from '../bench/lib/orthanc.js';
import { startOrthanc, type OrthancInstance } from './orthanc.js';
import { shared } from './shared-data.js';

let web: OrthancInstance;
let dimse: OrthancInstance;
let files: Buffer[];
let study: string;

const attr = (b: Buffer, tag: string) => dicomParser.parseDicom(new Uint8Array(b)).string(tag) ?? '';

function code(e: unknown): string {
  return e instanceof AmurError ? e.code : String(e);
}

before(async () => {
  [web, dimse] = await Promise.all([
    startOrthanc({ name: 'web' }),
    startOrthanc({ name: 'dimse', dicomweb: false, modalities: { AMUR: { aet: 'AMUR_TEST' } } }),
  ]);
  const ge = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
  files = readdirSync(ge).sort().slice(0, 6).map((f) => readFileSync(join(ge, f)));
  study = attr(files[0]!, 'x0020000d');
});

after(async () => {
  await Promise.all([web?.destroy(), dimse?.destroy()]);
});

describe('DICOMweb against Orthanc', () => {
  const client = () => new DicomWebClient({ url: web.url, ...web.credentials });

  it('stores by STOW-RS, finds by QIDO-RS and retrieves by WADO-RS byte for byte', async () => {
    const r = await client().store(files, study);
    assert.equal(r.stored.length, files.length);
    assert.deepEqual(r.failed, []);
    const found = await client().searchStudies({ '0020000D': study }, ['00080061']);
    assert.equal(found.length, 1);
    assert.deepEqual(found[0]!['00080061']?.Value, ['CT']);
    const got: Buffer[] = [];
    const n = await client().retrieveStudyInstances(study, async (b) => {
      got.push(b);
    });
    assert.equal(n, files.length);
    // Orthanc answers with the stored files unchanged: the same set of bytes comes back.
    const digest = (bs: Buffer[]) => bs.map((b) => b.toString('base64')).sort();
    assert.deepEqual(digest(got), digest(files));
    const instances = await client().searchInstances(study);
    assert.equal(instances.length, files.length);
    const one = instances[0]!;
    const single = await client().retrieveInstance(study, String(one['0020000E']!.Value![0]), String(one['00080018']!.Value![0]));
    assert.ok(files.some((f) => f.equals(single)));
  });

  it('a batch the exchange cannot read is refused with host and status, and what it held stays', async () => {
    const junk = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from('not a dataset')]);
    await assert.rejects(client().store([junk, files[0]!], study), (e) => code(e) === 'exchange.http' && (e as AmurError).params.status === 400);
    assert.equal((await client().searchInstances(study)).length, files.length);
  });

  it('an empty search is an empty list', async () => {
    assert.deepEqual(await client().searchStudies({ '00100020': 'NOBODY-HERE' }), []);
  });

  it('wrong credentials are named as such', async () => {
    const bad = new DicomWebClient({ url: web.url, username: 'amur', password: 'wrong' });
    await assert.rejects(bad.searchStudies(), (e) => code(e) === 'exchange.unauthorized');
  });

  it('credentials in the URL are refused before anything is sent', () => {
    assert.throws(() => new DicomWebClient({ url: web.url.replace('http://', 'http://amur:secret@') }), (e) => code(e) === 'exchange.credentialsInUrl');
  });

  it('a server that is not there is unreachable, with its host', async () => {
    const port = await freePort();
    const c = new DicomWebClient({ url: `http://127.0.0.1:${port}/dicom-web` });
    await assert.rejects(c.searchStudies(), (e) => code(e) === 'exchange.unreachable' && (e as AmurError).params.host === `127.0.0.1:${port}`);
  });
});

describe('DIMSE against a DIMSE-only Orthanc', () => {
  it('C-STOREs, then C-GETs the study back on the same association', async () => {
    const peer = parsePeerUrl(`dicom://${dimse.aet}@127.0.0.1:${dimse.dicomPort}`);
    const stored = await dimseStore(peer, 'AMUR_TEST', files);
    assert.equal(stored.length, files.length);
    assert.ok(stored.every((s) => s.ok), JSON.stringify(stored));
    const got: Buffer[] = [];
    const n = await dimseGetStudy(peer, 'AMUR_TEST', study, async (b) => {
      got.push(b);
    });
    assert.equal(n, files.length);
    // Amur writes each received data set's file meta header (naming itself, in memory: no temp
    // file); the data sets hold the same instances with the same pixels and patient.
    const sops = (bs: Buffer[]) => bs.map((b) => attr(b, 'x00080018')).sort();
    assert.deepEqual(sops(got), sops(files));
    const pixels = (b: Buffer) => {
      const ds = dicomParser.parseDicom(new Uint8Array(b));
      const e = ds.elements.x7fe00010!;
      return `${ds.string('x00080018')} ${ds.string('x00100010')} ${createHash('sha256').update(b.subarray(e.dataOffset, e.dataOffset + e.length)).digest('hex')}`;
    };
    assert.deepEqual(got.map(pixels).sort(), files.map(pixels).sort());
    for (const b of got) assert.equal(attr(b, 'x00020012'), IMPLEMENTATION_CLASS_UID);
  });

  it('an AE title the PACS does not know cannot C-GET', async () => {
    const peer = parsePeerUrl(`dicom://${dimse.aet}@127.0.0.1:${dimse.dicomPort}`);
    await assert.rejects(dimseGetStudy(peer, 'STRANGER', study, async () => undefined), (e) => e instanceof AmurError);
  });

  it('a malformed peer address is refused with the address', () => {
    assert.throws(() => parsePeerUrl('dicom://127.0.0.1:104'), (e) => code(e) === 'exchange.peerUrl');
  });
});
