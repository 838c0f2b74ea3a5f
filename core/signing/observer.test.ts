// The reading radiologist's name and organisation as the signing certificate states them, from
// certificates OpenSSL makes here with UTF-8 subjects (Cyrillic, Chinese), surname and given name,
// a comma inside the organisation, and none at all.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { observerFromCertificate } from './observer.js';

const dir = mkdtempSync(join(tmpdir(), 'amur-observer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A self-signed EC certificate with this subject, made by openssl req (UTF-8 strings). */
function cert(subject: string): X509Certificate {
  const f = join(dir, `c${n++}.pem`);
  execFileSync('openssl', ['req', '-x509', '-utf8', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(dir, 'k.pem'), '-out', f, '-days', '2', '-subj', subject], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new X509Certificate(readFileSync(f));
}

describe('observerFromCertificate', () => {
  it('takes a Latin common name as one name component and the organisation from O', () => {
    const o = observerFromCertificate(cert('/CN=Ivanov Ivan/O=Amur tests'));
    assert.deepEqual(o, {
      name: 'Ivanov Ivan^', displayName: 'Ivanov Ivan', organization: 'Amur tests', commonName: 'Ivanov Ivan', subject: 'CN=Ivanov Ivan, O=Amur tests',
    });
  });

  it('writes Surname^GivenName when the certificate names both, in Cyrillic, with a comma in the organisation', () => {
    const o = observerFromCertificate(cert('/CN=Кузнецова Мария Ивановна/SN=Кузнецова/GN=Мария/O=Городская больница №1, отделение лучевой диагностики/C=RU'));
    assert.equal(o.name, 'Кузнецова^Мария');
    assert.equal(o.displayName, 'Кузнецова Мария');
    assert.equal(o.commonName, 'Кузнецова Мария Ивановна');
    assert.equal(o.organization, 'Городская больница №1, отделение лучевой диагностики');
  });

  it('reads a Chinese name and organisation', () => {
    const o = observerFromCertificate(cert('/CN=张伟/O=黑河市人民医院'));
    assert.deepEqual([o.name, o.organization], ['张伟', '黑河市人民医院']);
  });

  it('says when the certificate names no organisation or no person', () => {
    assert.equal(observerFromCertificate(cert('/CN=Petrova Anna')).organization, '');
    assert.equal(observerFromCertificate(cert('/O=Amur tests')).name, '');
  });

  it('keeps Person Name delimiters out of a common name', () => {
    assert.equal(observerFromCertificate(cert('/CN=Ivanov=Ivan\\\\Petrovich/O=X')).name, 'Ivanov Ivan Petrovich^');
  });
});
