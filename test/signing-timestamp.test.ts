// Trusted time (RFC 3161) against a real TSA: `openssl ts -reply` behind an HTTP server of the
// test's own (test/tsa.ts). Tokens Amur asks for verify with Amur's code and with `openssl ts
// -verify`; a tampered token, a token for other data, an untrusted TSA, a certificate that is not a
// TSA's, and a TSA that is down, silent, refusing or answering garbage are each refused with a
// translated reason. Then the DICOM Certified Timestamp, checked by dcmtk's dcmsign as well.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { AmurError } from '../core/common/errors.js';
import { errorMessage } from '../core/i18n/index.js';
import {
  addDicomTimestamps,
  addPdfTimestamps,
  cmsSignatureTimestamp,
  cmsSignatureValue,
  readPkcs12,
  signDicom,
  signPdf,
  verifyDicomSignatures,
  verifyPdfSignatures,
  type SigningIdentity,
} from '../core/signing/index.js';
import { derLength } from '../core/signing/cms.js';
import PDFDocument from 'pdfkit';
import { isTimeStampingCertificate, readTimestampToken, requestTimestamp, verifyTimestampToken } from '../core/signing/timestamp.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { DicomWebClient } from '../core/exchange/index.js';
import { deliver, enqueue, readOutboxFile } from '../core/outbox/outbox.js';
import { exchangeTarget } from '../core/outbox/target.js';
import { signDraftInto } from '../core/reports/sign.js';
import { loadTemplate } from '../core/reports/template.js';
import { StudyStore } from '../core/store/store.js';
import { startOrthanc } from './orthanc.js';
import { dciodvfy } from './report-dicom-tools.js';
import { filledDraft } from './report-fixtures.js';
import { REPO_ROOT, shared } from './shared-data.js';
import { deadTsaUrl, startTsa, type TestTsa } from './tsa.js';
import { unlockTestHome } from './vault.js';
import { MAGIC } from '../core/vault/file-cipher.js';

let tsa: TestTsa;
let pki: TestPki;
let tmp: string;
let rsa: SigningIdentity;
let ec: SigningIdentity;
const digest = createHash('sha256').update('report signature value').digest();

before(async () => {
  tsa = await startTsa();
  pki = makePki();
  tmp = mkdtempSync(join(tmpdir(), 'amur-ts-'));
  rsa = readPkcs12(pki.bytes('rsa.p12'), pki.passphrase);
  ec = readPkcs12(pki.bytes('ec.p12'), pki.passphrase);
});
after(async () => {
  await tsa.stop();
  pki.remove();
  rmSync(tmp, { recursive: true, force: true });
});

/** The error a promise rejects with, which must be an AmurError. */
async function refusal(p: Promise<unknown>): Promise<AmurError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AmurError, String(e));
    return e;
  }
  assert.fail('expected a refusal');
}

/** The message in all three languages: each must be a real translation that names the host. */
function assertTranslated(e: AmurError, host: string) {
  const texts = (['en', 'ru', 'zh-CN'] as const).map((l) => errorMessage(e, l));
  for (const t of texts) {
    assert.ok(!t.includes('errors.'), `untranslated: ${t}`);
    assert.ok(t.includes(host), `${t} names ${host}`);
  }
  assert.equal(new Set(texts).size, 3, 'three different languages');
}

describe('RFC 3161 client against openssl ts', () => {
  it('a token for a SHA-256 digest verifies with Amur and with openssl ts -verify', async () => {
    const before = Date.now();
    const token = await requestTimestamp(tsa.url, digest);
    const check = verifyTimestampToken(token, digest, [tsa.ca]);
    assert.deepEqual(check.problems, []);
    assert.equal(check.valid, true);
    assert.equal(check.tsa, 'Amur Test TSA');
    assert.equal(check.policy, '1.3.6.1.4.1.99999.1.1');
    assert.match(check.serialNumber!, /^[0-9A-F]+$/);
    // The TSA's clock is this machine's: genTime is now (whole seconds).
    const t = new Date(check.genTime!).getTime();
    assert.ok(t >= before - 1000 && t <= Date.now() + 1000, check.genTime);
    const ref = tsa.opensslVerify(token, digest);
    assert.ok(ref.ok, ref.out);
  });

  it('an ECDSA TSA works too, and a SHA-512 imprint', async () => {
    const ecTsa = await startTsa({ key: 'ec', cn: 'Amur EC TSA' });
    try {
      const d512 = createHash('sha512').update('x').digest();
      const token = await requestTimestamp(ecTsa.url, d512);
      const check = verifyTimestampToken(token, d512, [ecTsa.ca]);
      assert.deepEqual(check.problems, []);
      assert.equal(check.tsa, 'Amur EC TSA');
      assert.equal(readTimestampToken(token).tstInfo.hashAlgorithm, 'sha512');
    } finally {
      await ecTsa.stop();
    }
  });

  it('a tampered token is refused by Amur and by openssl', async () => {
    const token = await requestTimestamp(tsa.url, digest);
    // The policy OID inside the signed TSTInfo, 1.3.6.1.4.1.99999.1.1 made …1.2 (the TSA serves both).
    const policy = Buffer.from(forge.asn1.oidToDer('1.3.6.1.4.1.99999.1.1').getBytes(), 'binary');
    const at = token.indexOf(policy);
    assert.ok(at > 0);
    const bad = Buffer.from(token);
    bad[at + policy.length - 1] = 0x02;
    const check = verifyTimestampToken(bad, digest, [tsa.ca]);
    assert.equal(check.valid, false);
    assert.deepEqual(check.problems.map((p) => p.code), ['signing.timestamp.altered']);
    assert.equal(tsa.opensslVerify(bad, digest).ok, false);
    // And a flipped bit in the TSA's signature itself.
    const sigFlip = Buffer.from(token);
    sigFlip[sigFlip.length - 10] ^= 0x01;
    assert.deepEqual(verifyTimestampToken(sigFlip, digest, [tsa.ca]).problems.map((p) => p.code), ['signing.timestamp.altered']);
    assert.equal(tsa.opensslVerify(sigFlip, digest).ok, false);
  });

  it('a token for other data: refused by both', async () => {
    const token = await requestTimestamp(tsa.url, digest);
    const other = createHash('sha256').update('another signature').digest();
    const check = verifyTimestampToken(token, other, [tsa.ca]);
    assert.deepEqual(check.problems.map((p) => p.code), ['signing.timestamp.otherData']);
    assert.equal(tsa.opensslVerify(token, other).ok, false);
    assert.match(errorMessage(new AmurError(check.problems[0]!.code, check.problems[0]!.params), 'ru'), /штамп времени Amur Test TSA выдан для других данных/);
  });

  it('a TSA the reader does not trust', async () => {
    const token = await requestTimestamp(tsa.url, digest);
    const check = verifyTimestampToken(token, digest, [pki.cert('ca.pem')]);
    assert.deepEqual(check.problems.map((p) => p.code), ['signing.timestamp.untrusted']);
    assert.match(errorMessage(new AmurError(check.problems[0]!.code, check.problems[0]!.params), 'zh-CN'), /时间戳服务机构 Amur Test TSA/);
  });

  it('the nonce of the request is checked when known', async () => {
    const token = await requestTimestamp(tsa.url, digest);
    const nonce = readTimestampToken(token).tstInfo.nonce!;
    assert.ok(nonce.length >= 8);
    assert.deepEqual(verifyTimestampToken(token, digest, [tsa.ca], { nonce }).problems, []);
    assert.deepEqual(verifyTimestampToken(token, digest, [tsa.ca], { nonce: Buffer.from([1, 2, 3]) }).problems.map((p) => p.code), ['signing.timestamp.nonceMismatch']);
  });

  it('a token-shaped CMS signed by an ordinary signer (no timeStamping usage) is not a time-stamp', async () => {
    // The TSTInfo of a real token, signed again by the test PKI's RSA signer with openssl cms.
    const { tstInfoDer } = readTimestampToken(await requestTimestamp(tsa.url, digest));
    const tstFile = join(tmp, 'tstinfo.der');
    writeFileSync(tstFile, tstInfoDer);
    const forged = join(tmp, 'forged.der');
    execFileSync('openssl', ['cms', '-sign', '-binary', '-nodetach', '-econtent_type', '1.2.840.113549.1.9.16.1.4', '-in', tstFile,
      '-signer', pki.file('rsa.pem'), '-inkey', pki.file('rsa.key'), '-outform', 'DER', '-out', forged]);
    const check = verifyTimestampToken(readFileSync(forged), digest, [pki.cert('ca.pem')]);
    assert.equal(check.valid, false);
    assert.ok(check.problems.some((p) => p.code === 'signing.timestamp.notTsaCertificate'), JSON.stringify(check.problems));
    assert.equal(isTimeStampingCertificate(new X509Certificate(readFileSync(tsa.certFile))), true);
    assert.equal(isTimeStampingCertificate(pki.cert('rsa.pem')), false);
  });

  it('a TSA that is down', async () => {
    const url = await deadTsaUrl();
    const e = await refusal(requestTimestamp(url, digest, { timeoutMs: 5000 }));
    assert.equal(e.code, 'signing.tsa.unreachable');
    assertTranslated(e, new URL(url).host);
  });

  it('a TSA that never answers: the timeout', async () => {
    tsa.mode = 'silent';
    try {
      const e = await refusal(requestTimestamp(tsa.url, digest, { timeoutMs: 300 }));
      assert.equal(e.code, 'signing.tsa.timeout');
      assertTranslated(e, new URL(tsa.url).host);
    } finally {
      tsa.mode = 'ok';
    }
  });

  it('a TSA that answers garbage, or an HTTP error', async () => {
    tsa.mode = 'garbage';
    try {
      const e = await refusal(requestTimestamp(tsa.url, digest));
      assert.equal(e.code, 'signing.tsa.badResponse');
      assertTranslated(e, new URL(tsa.url).host);
      tsa.mode = 'http-error';
      const h = await refusal(requestTimestamp(tsa.url, digest));
      assert.equal(h.code, 'signing.tsa.httpStatus');
      assert.equal(h.params.status, 503);
      assertTranslated(h, new URL(tsa.url).host);
    } finally {
      tsa.mode = 'ok';
    }
  });

  it('a TSA that refuses the request (a policy it does not serve): its PKIStatus and reason', async () => {
    const e = await refusal(requestTimestamp(tsa.url, digest, { policy: '1.3.6.1.4.1.99999.7.7' }));
    assert.equal(e.code, 'signing.tsa.rejected');
    assert.equal(e.params.status, 'rejection');
    assert.match(String(e.params.detail), /unacceptedPolicy/);
    assertTranslated(e, new URL(tsa.url).host);
  });

  it('a URL that is not http(s)', async () => {
    const e = await refusal(requestTimestamp('ftp://tsa.example/', digest));
    assert.equal(e.code, 'signing.tsa.badUrl');
  });
});

/** dcmsign with both CAs trusted (the signer's and the TSA's), a timestamp required. */
function dcmsignVerify(file: string): { ok: boolean; out: string } {
  const r = spawnSync('dcmsign', ['--verify', '+rg', '+tr', '+cf', pki.file('ca.pem'), '+cf', tsa.caFile, file], { encoding: 'utf8', input: '' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe('DICOM Certified Timestamp (PS3.15 C.3, CMS_TSP)', () => {
  const sr = () => readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm'));
  const stamp = (v: Buffer) => requestTimestamp(tsa.url, createHash('sha256').update(v).digest());

  for (const [name, id] of [['RSA', () => rsa], ['ECDSA', () => ec]] as const) {
    it(`${name}: a signature time-stamped after signing stays valid; Amur and dcmsign check the timestamp`, async () => {
      const signed = signDicom(sr(), id());
      const stamped = await addDicomTimestamps(signed, stamp);
      const file = join(tmp, `stamped-${name}.dcm`);
      writeFileSync(file, stamped);
      const [check] = verifyDicomSignatures(stamped, [pki.cert('ca.pem'), tsa.ca]);
      assert.deepEqual(check!.problems, []);
      assert.equal(check!.timestamp?.valid, true);
      assert.equal(check!.timestamp?.tsa, 'Amur Test TSA');
      const ref = dcmsignVerify(file);
      assert.ok(ref.ok, ref.out);
      assert.match(ref.out, /Signature Verification : OK/);
      // Time-stamping again adds nothing.
      assert.deepEqual(await addDicomTimestamps(stamped, stamp), stamped);
    });
  }

  it('without the TSA trusted, or with the token changed, the signature is not valid', async () => {
    const stamped = await addDicomTimestamps(signDicom(sr(), rsa), stamp);
    const [untrusted] = verifyDicomSignatures(stamped, [pki.cert('ca.pem')]);
    assert.equal(untrusted!.valid, false);
    assert.deepEqual(untrusted!.problems.map((p) => p.code), ['signing.timestamp.untrusted']);
    // A token over another signature, put in place of the right one.
    const wrong = await requestTimestamp(tsa.url, digest);
    const swapped = Buffer.from(stamped);
    const at = swapped.indexOf(Buffer.from([0x00, 0x04, 0x10, 0x03]));
    const len = swapped.readUInt32LE(at + 8);
    assert.ok(wrong.length <= len);
    Buffer.from(wrong).copy(swapped, at + 12);
    swapped.fill(0, at + 12 + wrong.length, at + 12 + len);
    const [other] = verifyDicomSignatures(swapped, [pki.cert('ca.pem'), tsa.ca]);
    assert.equal(other!.valid, false);
    assert.ok(other!.problems.some((p) => p.code === 'signing.timestamp.otherData'), JSON.stringify(other!.problems));
    const file = join(tmp, 'swapped.dcm');
    writeFileSync(file, swapped);
    assert.equal(dcmsignVerify(file).ok, false);
  });

  it('a signature without a timestamp reports none, and dcmsign +tr refuses it', () => {
    const signed = signDicom(sr(), rsa);
    const [check] = verifyDicomSignatures(signed, [pki.cert('ca.pem')]);
    assert.equal(check!.valid, true);
    assert.equal(check!.timestamp, undefined);
    const file = join(tmp, 'unstamped.dcm');
    writeFileSync(file, signed);
    assert.equal(dcmsignVerify(file).ok, false);
  });
});

describe('PAdES signature-time-stamp (id-aa-signatureTimeStampToken)', () => {
  const stamp = (v: Buffer) => requestTimestamp(tsa.url, createHash('sha256').update(v).digest());
  async function pdf(): Promise<Buffer> {
    const doc = new PDFDocument();
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((r) => doc.on('end', () => r()));
    doc.text('Report: no acute findings.');
    doc.end();
    await done;
    return Buffer.concat(chunks);
  }
  const cmsOf = (signed: Buffer) => {
    const m = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]/.exec(signed.toString('latin1'))!;
    const [, l1, s2] = m.slice(1).map(Number) as [number, number, number, number];
    const hex = Buffer.from(signed.subarray(l1 + 1, s2 - 1).toString('latin1'), 'hex');
    return hex.subarray(0, derLength(hex));
  };

  for (const when of ['at signing', 'later, in place'] as const) {
    it(`time-stamped ${when}: pdfsig still validates the signature; Amur and openssl ts check the token`, async () => {
      const signed = when === 'at signing' ? await signPdf(await pdf(), ec, { timestamp: stamp }) : await addPdfTimestamps(await signPdf(await pdf(), ec), stamp);
      const file = join(tmp, `pades-t-${when.replace(/\W/g, '')}.pdf`);
      writeFileSync(file, signed);
      const ref = spawnSync('pdfsig', [file], { encoding: 'utf8' });
      assert.match(ref.stdout, /Signature Validation: Signature is Valid\./, ref.stdout + ref.stderr);
      assert.match(ref.stdout, /Total document signed/);
      const [check] = verifyPdfSignatures(signed, [pki.cert('ca.pem'), tsa.ca]);
      assert.deepEqual(check!.problems, []);
      assert.equal(check!.timestamp?.valid, true);
      const cms = cmsOf(signed);
      const token = cmsSignatureTimestamp(cms)!;
      assert.ok(tsa.opensslVerify(token, createHash('sha256').update(cmsSignatureValue(cms)!).digest()).ok);
      // OpenSSL sees the unsigned attribute where CAdES puts it.
      const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', writeTmp('cms.der', cms)], { encoding: 'utf8' });
      assert.match(printed.slice(printed.indexOf('unsignedAttrs:')), /id-smime-aa-timeStampToken/);
      // Without the TSA trusted, the PDF signature is not valid.
      const [untrusted] = verifyPdfSignatures(signed, [pki.cert('ca.pem')]);
      assert.deepEqual(untrusted!.problems.map((p) => p.code), ['signing.timestamp.untrusted']);
    });
  }
});

function writeTmp(name: string, bytes: Buffer): string {
  const f = join(tmp, name);
  writeFileSync(f, bytes);
  return f;
}

describe('a signed report and trusted time: online, and offline then stamped before delivery', () => {
  const trust = () => [pki.cert('ca.pem'), tsa.ca];
  const amurVerify = (files: string[]) =>
    spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), 'verify', ...files, '--trust', pki.file('ca.pem'), '--trust', tsa.caFile], {
      encoding: 'utf8',
      env: { ...process.env, AMUR_HOME: join(tmp, 'home-verify'), AMUR_LANG: 'en' },
    });

  it('signed with a TSA: both DICOM objects carry a valid Certified Timestamp; dciodvfy, dcmsign and amur verify agree', async () => {
    const out = join(tmp, 'online');
    const signed = await signDraftInto(filledDraft(), loadTemplate('ct-head'), rsa, out, { tsaUrl: tsa.url });
    assert.equal(signed.timestampError, undefined);
    for (const name of ['report-sr.dcm', 'report-pdf.dcm']) {
      const file = join(out, name);
      const [check] = verifyDicomSignatures(readFileSync(file), trust());
      assert.deepEqual(check!.problems, []);
      assert.equal(check!.timestamp?.valid, true, name);
      const ref = dcmsignVerify(file);
      assert.ok(ref.ok, ref.out);
      const v = dciodvfy(file);
      assert.deepEqual(v.errors, [], name);
      assert.deepEqual(v.unexplained, [], name);
    }
    const r = amurVerify([out]);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    // Four signatures, four time-stamps: two DICOM, the PDF inside the Encapsulated PDF, report.pdf.
    assert.equal(r.stdout.match(/time-stamped by Amur Test TSA at \d{4}-/g)?.length, 4, r.stdout);
    assert.doesNotMatch(r.stdout, /no trusted time-stamp/);
    assert.match(spawnSync('pdfsig', [join(out, 'report.pdf')], { encoding: 'utf8' }).stdout, /Signature is Valid/);
  });

  it('amur report sign --tsa: time-stamped; with the TSA down it signs anyway and says why, in the reader\'s language', async () => {
    const draftFile = writeTmp('draft.json', Buffer.from(JSON.stringify(filledDraft())));
    // Asynchronously: the TSA answers from this very process, whose event loop must keep running.
    const cli = (out: string, url: string, lang: string) =>
      new Promise<{ status: number | null; stderr: string }>((resolveRun) => {
        const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), 'report', 'sign', draftFile, '--identity', pki.file('rsa.p12'),
          '--passphrase-file', pki.file('passphrase.txt'), '--out', out, '--tsa', url], {
          env: { ...process.env, AMUR_HOME: join(tmp, 'home-cli'), AMUR_LANG: lang },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
        child.on('close', (status) => resolveRun({ status, stderr }));
      });
    const online = await cli(join(tmp, 'cli-online'), tsa.url, 'en');
    assert.equal(online.status, 0, online.stderr);
    assert.equal(online.stderr, '');
    const [check] = verifyDicomSignatures(readFileSync(join(tmp, 'cli-online', 'report-sr.dcm')), trust());
    assert.equal(check!.timestamp?.valid, true);
    const dead = await deadTsaUrl();
    const offline = await cli(join(tmp, 'cli-offline'), dead, 'ru');
    assert.equal(offline.status, 0, offline.stderr);
    assert.match(offline.stderr, /Штамп времени пока не получен: Служба штампов времени 127\.0\.0\.1:\d+ недоступна/);
    const [plain] = verifyDicomSignatures(readFileSync(join(tmp, 'cli-offline', 'report-sr.dcm')), trust());
    assert.equal(plain!.valid, true);
    assert.equal(plain!.timestamp, undefined);
  });

  it('offline: signed with the local UTC time; the outbox time-stamps it before it reaches the exchange', async () => {
    const out = join(tmp, 'offline');
    const draft = filledDraft();
    const signed = await signDraftInto(draft, loadTemplate('ct-head'), rsa, out, { tsaUrl: await deadTsaUrl() });
    assert.equal(signed.timestampError?.code, 'signing.tsa.unreachable');
    const sr = join(out, 'report-sr.dcm');
    const [unstamped] = verifyDicomSignatures(readFileSync(sr), trust());
    assert.equal(unstamped!.valid, true);
    assert.equal(unstamped!.timestamp, undefined);

    const home = join(tmp, 'home-offline');
    await unlockTestHome(home);
    const store = StudyStore.open(home);
    const orthanc = await startOrthanc({ name: 'ts-exchange' });
    try {
      const item = enqueue(store, {
        StudyInstanceUID: draft.study.StudyInstanceUID,
        agreementId: 'GZ-TS-1',
        instances: [
          { path: sr, SOPInstanceUID: signed.sr.SOPInstanceUID, SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.33' },
          { path: join(out, 'report-pdf.dcm'), SOPInstanceUID: signed.encapsulatedPdf.SOPInstanceUID, SOPClassUID: '1.2.840.10008.5.1.4.1.1.104.1' },
        ],
        keep: [join(out, 'report.pdf')],
      });
      const client = new DicomWebClient({ url: orthanc.url, ...orthanc.credentials });
      const target = exchangeTarget(client);
      // The exchange is up but the TSA is not: nothing leaves without trusted time.
      const down = await deliver(store, () => target, { tsaFor: () => 'http://127.0.0.1:1/tsa', ignoreBackoff: true });
      assert.deepEqual(down.failed.map((f) => f.code), ['signing.tsa.unreachable']);
      assert.equal(await target.hasInstance(draft.study.StudyInstanceUID, signed.sr.SOPInstanceUID), false);
      // The link to the TSA is back.
      const up = await deliver(store, () => target, { tsaFor: () => tsa.url, ignoreBackoff: true });
      assert.deepEqual(up, { delivered: [item.id], failed: [] });
      const got = await client.retrieveInstance(draft.study.StudyInstanceUID, signed.sr.SeriesInstanceUID, signed.sr.SOPInstanceUID);
      const [check] = verifyDicomSignatures(got, trust());
      assert.deepEqual(check!.problems, []);
      assert.equal(check!.timestamp?.valid, true);
      // The genTime is the delivery's, after the claimed signing time: trusted time, added later.
      assert.ok(new Date(check!.timestamp!.genTime!).getTime() >= new Date(check!.signingTime!).getTime() - 1000);
      const file = join(tmp, 'delivered-sr.dcm');
      writeFileSync(file, got);
      const ref = dcmsignVerify(file);
      assert.ok(ref.ok, ref.out);
      // The outbox's copy was stamped in place, and is sealed again: opened, it carries the token.
      const queued = join(store.root, store.db.prepare('SELECT dir FROM outbox WHERE id = ?').pluck().get(item.id) as string, 'report-sr.dcm');
      assert.ok(readFileSync(queued).subarray(0, MAGIC.length).equals(MAGIC), 'the stamped copy is sealed');
      const [kept] = verifyDicomSignatures(readOutboxFile(store, item, 'report-sr.dcm'), trust());
      assert.equal(kept!.timestamp?.valid, true);
      // The signed folder itself is left as it was signed, and still verifies.
      assert.equal(amurVerify([out]).status, 0);
    } finally {
      await orthanc.destroy();
      store.close();
    }
  });
});
