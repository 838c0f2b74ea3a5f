// The round trip over HTTPS with client certificates, as an agreement that requires them runs it:
// the exchange (a real Orthanc) behind stunnel4 terminating TLS 1.2+ and requiring a certificate
// from the exchange's CA (test/tls-front.ts). Both sides reach the exchange only through it. Checked
// independently with openssl s_client (no TLS 1.1, a client certificate is required), then through
// Amur's CLI: the whole trip works with the agreement's certificate, and a reader with no
// certificate, with a certificate the exchange does not know, or not trusting the exchange's CA,
// gets a translated refusal naming the exchange.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestPki } from './fixtures/pki/pki.js';
import { startOrthanc, type OrthancInstance } from './orthanc.js';
import { amur, credentialsFile, makeAgreement, makePartnerStudies, makeWorld, ok, restJson, signReport, upload, type RoundTripWorld } from './roundtrip-helpers.js';
import { startTlsFront, type TlsFront } from './tls-front.js';

let world: RoundTripWorld;
let pki: TestPki;
let tmp: string;
let hospitalHome: string;
let readerHome: string;
let exchange: OrthancInstance;
let pacs: OrthancInstance;
let front: TlsFront;
let studies: ReturnType<typeof makePartnerStudies>;
let agreementPath = '';

/** Credentials of the exchange as the agreement's holder imports them, with these TLS files. */
function tlsCredentials(name: string, files: { clientCertificate?: string; clientKey?: string; ca?: string }): string {
  const p = join(tmp, `${name}.json`);
  writeFileSync(p, JSON.stringify({ ...exchange.credentials, ...files }));
  return p;
}

function sClient(args: string[]): string {
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${front.port}`, '-CAfile', front.files.ca, '-ign_eof', ...args], {
    input: 'GET /dicom-web/studies HTTP/1.0\r\n\r\n',
    encoding: 'utf8',
    timeout: 20_000,
  });
  return `${r.stdout}${r.stderr}`;
}

before(async () => {
  world = makeWorld('amur-tls-roundtrip-');
  ({ pki, tmp, hospitalHome, readerHome, studies } = world);
  [exchange, pacs] = await Promise.all([startOrthanc({ name: 'exchange' }), startOrthanc({ name: 'pacs' })]);
  front = await startTlsFront(Number(new URL(exchange.restUrl).port));
  await upload(pacs, studies['ot-cyrillic'].dir);
  const cred = tlsCredentials('exchange-tls', { clientCertificate: front.files.clientCert, clientKey: front.files.clientKey, ca: front.files.ca });
  agreementPath = makeAgreement({ pki, dir: tmp, homes: [hospitalHome, readerHome], exchangeUrl: `${front.origin}/dicom-web`,
    credentials: cred, extra: ['--client-certificate-required'] });
});

after(async () => {
  await front?.stop();
  await Promise.all([exchange?.destroy(), pacs?.destroy()]);
  world?.remove();
});

describe('the exchange over HTTPS with client certificates (stunnel4 in front of Orthanc)', () => {
  it('openssl s_client: TLS 1.1 is refused; TLS 1.2 with the client certificate is served; without one, no answer', () => {
    const old = sClient(['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0', '-cert', front.files.clientCert, '-key', front.files.clientKey]);
    assert.doesNotMatch(old, /HTTP\/1\.[01] (200|401)/, 'nothing served over TLS 1.1');
    const good = sClient(['-tls1_2', '-cert', front.files.clientCert, '-key', front.files.clientKey]);
    assert.match(good, /Protocol\s*:\s*TLSv1\.2/);
    assert.match(good, /HTTP\/1\.[01] 401/, 'through to Orthanc, which then asks for the password');
    const anonymous = sClient(['-tls1_2']);
    assert.doesNotMatch(anonymous, /HTTP\/1\.[01] (200|401)/, 'no client certificate, nothing served');
  });

  it('the whole trip over HTTPS: hospital send, pull, sign, deliver, hospital receive', async () => {
    const pacsCred = credentialsFile(tmp, pacs, 'pacs-cred');
    const sent = ok(amur(hospitalHome, ['hospital', 'send', '--agreement', 'GZ-2026-01', '--pacs', pacs.url, '--pacs-credentials', pacsCred,
      '--study', studies['ot-cyrillic'].uid, '--request-id', 'REQ-T1', '--consent', 'CONSENT-T1', '--json']), 'send').json() as { study: string };
    assert.deepEqual(ok(amur(readerHome, ['pull', '--json']), 'pull').json(), { pulled: [sent.study], refused: [] });
    signReport(readerHome, sent.study, tmp, 'signed', pki, 'ct-head');
    assert.deepEqual(ok(amur(readerHome, ['deliver', '--json']), 'deliver').json(), { delivered: 1, failed: [] });
    assert.equal((await restJson<string[]>(exchange, '/instances')).length, 3, 'the image, the SR and the PDF');
    const r = ok(amur(hospitalHome, ['hospital', 'receive', '--agreement', 'GZ-2026-01', '--pacs', pacs.url, '--pacs-credentials', pacsCred,
      '--identity', pki.file('rsa.p12'), '--passphrase-file', pki.file('passphrase.txt'), '--json']), 'receive').json();
    assert.deepEqual(r, { filed: 2, rejected: [] });
  });

  it('a reader without a client certificate is refused before anything goes out, in the reader\'s language', () => {
    const home = join(tmp, 'reader-nocert');
    ok(amur(home, ['agreement', 'import', agreementPath, '--trust', pki.file('ca.pem'),
      '--credentials', tlsCredentials('no-cert', { ca: front.files.ca })]), 'import');
    const r = amur(home, ['pull', '--json'], 'zh-CN');
    assert.notEqual(r.code, 0);
    assert.match(r.err, /GZ-2026-01/);
    assert.match(r.err, /证书/);
  });

  it('a client certificate the exchange does not know: the TLS failure names the exchange', () => {
    const home = join(tmp, 'reader-stranger');
    ok(amur(home, ['agreement', 'import', agreementPath, '--trust', pki.file('ca.pem'), '--credentials',
      tlsCredentials('stranger', { clientCertificate: front.files.strangerCert, clientKey: front.files.strangerKey, ca: front.files.ca })]), 'import');
    const r = amur(home, ['pull', '--json'], 'ru');
    assert.equal(r.code, 1, `${r.err}${r.out}`);
    assert.ok(r.err.includes(`127.0.0.1:${front.port}`), r.err);
    assert.match(r.err, /[а-яА-Я]/);
  });

  it('an exchange whose certificate the reader does not trust is refused as a TLS failure', () => {
    const home = join(tmp, 'reader-untrusting');
    ok(amur(home, ['agreement', 'import', agreementPath, '--trust', pki.file('ca.pem'), '--credentials',
      tlsCredentials('untrusting', { clientCertificate: front.files.clientCert, clientKey: front.files.clientKey })]), 'import');
    const r = amur(home, ['pull', '--json']);
    assert.equal(r.code, 1, `${r.err}${r.out}`);
    assert.match(r.err, new RegExp(`secure connection to 127\\.0\\.0\\.1:${front.port} failed`));
  });
});
