import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makePki, type TestPki } from '../../test/fixtures/pki/pki.js';
import { unlockTestHome } from '../../test/vault.js';
import { AmurError } from '../common/errors.js';
import { errorMessage, LANGUAGES } from '../i18n/index.js';
import { readPkcs12, type SigningIdentity } from '../signing/index.js';
import {
  authorisedReader,
  canonicalJson,
  coversModality,
  createAgreement,
  credentialsFor,
  deadline,
  getAgreement,
  importAgreement,
  isActive,
  listAgreements,
  verifyAgreement,
  type AgreementFields,
  type SignedAgreement,
} from './index.js';

let pki: TestPki;
let hospital: SigningIdentity;
let rogue: SigningIdentity;
let home: string;
const NOW = new Date('2026-06-15T12:00:00Z');

function fields(over: Partial<AgreementFields> = {}): AgreementFields {
  return {
    id: 'GZ-2026-01',
    partner: { nameLatin: 'Guangzhou Partner Hospital', nameZh: '广州合作医院' },
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
    modalities: ['CR', 'DX', 'CT', 'MR'],
    readers: [pki.cert('ec.pem').toString()],
    languages: ['zh-CN', 'ru'],
    exchange: { url: 'https://exchange.example/dicom-web' },
    ...over,
  };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AmurError, String(e));
    return e.code;
  }
  assert.fail('did not throw');
}

const clone = (d: SignedAgreement): SignedAgreement => JSON.parse(JSON.stringify(d)) as SignedAgreement;

before(async () => {
  pki = makePki();
  hospital = readPkcs12(pki.bytes('rsa.p12'), pki.passphrase);
  rogue = readPkcs12(pki.bytes('rogue.p12'), pki.passphrase);
  home = mkdtempSync(join(tmpdir(), 'amur-agreements-'));
  // The credentials are sealed under the home's vault.
  await unlockTestHome(home);
});
after(() => {
  pki.remove();
  rmSync(home, { recursive: true, force: true });
});

describe('canonical JSON', () => {
  it('sorts keys recursively, keeps array order, no whitespace, UTF-8', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: '广州' }], c: null } }), '{"a":{"c":null,"d":[3,{"y":"广州","z":1}]},"b":1}');
    assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
    assert.equal(canonicalJson({ a: undefined, b: true }), '{"b":true}');
    assert.equal(canonicalJson('a"b'), '"a\\"b"');
  });
});

describe('createAgreement / verifyAgreement', () => {
  it('round trip: defaults filled, verifies against the CA', () => {
    const doc = createAgreement(fields(), hospital);
    assert.equal(doc.format, 'amur.agreement/1');
    const a = verifyAgreement(JSON.parse(JSON.stringify(doc)), [pki.cert('ca.pem')], NOW);
    assert.deepEqual(a.turnaroundHours, { routine: 48, urgent: 4 });
    assert.equal(a.retentionDays, 30);
    assert.deepEqual(a.deidentification, {
      options: ['RetainPatientCharacteristics', 'RetainLongitudinalModifiedDates', 'CleanDescriptors'],
      allowBurnedInAnnotation: false,
    });
    assert.equal(a.exchange.clientCertificateRequired, false);
    assert.deepEqual(a.signatureAlgorithms, ['rsa']);
    assert.equal(a.partner.nameZh, '广州合作医院');
    assert.equal(a.hospitalCertificate, hospital.certificate.toString());
  });

  it('an ECDSA hospital under an intermediate CA verifies against the root', () => {
    const staff = readPkcs12(pki.bytes('staff.p12'), pki.passphrase);
    const doc = createAgreement(fields(), staff);
    assert.equal(verifyAgreement(doc, [pki.cert('ca.pem')], NOW).id, 'GZ-2026-01');
  });

  it('a changed field, reordered keys aside, is tampered', () => {
    const doc = createAgreement(fields(), hospital);
    const reordered = clone(doc);
    reordered.agreement = Object.fromEntries(Object.entries(reordered.agreement).reverse()) as any;
    assert.equal(verifyAgreement(reordered, [pki.cert('ca.pem')], NOW).id, 'GZ-2026-01');
    for (const change of [
      (d: SignedAgreement) => (d.agreement.validTo = '2027-12-31'),
      (d: SignedAgreement) => d.agreement.modalities.push('MG'),
      (d: SignedAgreement) => (d.agreement.turnaroundHours.urgent = 2),
      (d: SignedAgreement) => (d.agreement.readers = [pki.cert('rsa.pem').toString()]),
    ]) {
      const t = clone(doc);
      change(t);
      assert.equal(code(() => verifyAgreement(t, [pki.cert('ca.pem')], NOW)), 'agreements.tampered');
    }
  });

  it('no signature is unsigned', () => {
    const doc = clone(createAgreement(fields(), hospital)) as any;
    delete doc.signature;
    assert.equal(code(() => verifyAgreement(doc, [pki.cert('ca.pem')], NOW)), 'agreements.unsigned');
    doc.signature = '';
    assert.equal(code(() => verifyAgreement(doc, [pki.cert('ca.pem')], NOW)), 'agreements.unsigned');
  });

  it('an untrusted signer, or a signature by someone other than the named hospital, is refused', () => {
    const doc = createAgreement(fields(), rogue);
    assert.equal(code(() => verifyAgreement(doc, [pki.cert('ca.pem')], NOW)), 'agreements.untrusted');
    // trusting the wrong CA
    const good = createAgreement(fields(), hospital);
    assert.equal(code(() => verifyAgreement(good, [pki.cert('rogue-ca.pem')], NOW)), 'agreements.untrusted');
    try {
      verifyAgreement(doc, [pki.cert('ca.pem')], NOW);
    } catch (e) {
      assert.match(errorMessage(e, 'en'), /Rogue Signer.*not trusted: the signer CN=Rogue Signer, O=Nobody \(issued by CN=Rogue CA/);
      assert.match(errorMessage(e, 'ru'), /нет доверия/);
    }
    // a rogue signs an agreement that names the hospital's certificate
    const swapped = clone(doc);
    swapped.agreement.hospitalCertificate = hospital.certificate.toString();
    assert.equal(code(() => verifyAgreement(swapped, [pki.cert('ca.pem')], NOW)), 'agreements.tampered');
  });

  it('expired and not yet valid, with the dates; the bounds are inclusive (UTC)', () => {
    const doc = createAgreement(fields(), hospital);
    const trust = [pki.cert('ca.pem')];
    assert.equal(code(() => verifyAgreement(doc, trust, new Date('2027-01-01T00:00:00Z'))), 'agreements.expired');
    assert.equal(code(() => verifyAgreement(doc, trust, new Date('2025-12-31T23:59:59Z'))), 'agreements.notYetValid');
    assert.equal(verifyAgreement(doc, trust, new Date('2026-12-31T23:59:59Z')).id, 'GZ-2026-01');
    assert.equal(verifyAgreement(doc, trust, new Date('2026-01-01T00:00:00Z')).id, 'GZ-2026-01');
    try {
      verifyAgreement(doc, trust, new Date('2027-03-01T00:00:00Z'));
    } catch (e) {
      assert.equal(errorMessage(e, 'en'), 'Agreement GZ-2026-01 has expired: it was valid from 2026-01-01 to 2026-12-31');
      assert.match(errorMessage(e, 'zh-CN'), /已过期.*2026-01-01.*2026-12-31/);
    }
    assert.equal(verifyAgreement(doc, trust, new Date('2030-01-01'), { checkValidity: false }).id, 'GZ-2026-01');
  });

  it('malformed documents name the field', () => {
    const trust = [pki.cert('ca.pem')];
    const doc = createAgreement(fields(), hospital);
    const m = (d: unknown) => {
      try {
        verifyAgreement(d, trust, NOW);
      } catch (e) {
        assert.ok(e instanceof AmurError && e.code === 'agreements.malformed', String(e));
        return e.params.field;
      }
      assert.fail('accepted');
    };
    assert.equal(m({ ...clone(doc), format: 'other/1' }), 'format');
    const noModalities = clone(doc);
    noModalities.agreement.modalities = [];
    assert.equal(m(noModalities), 'modalities');
    const badDate = clone(doc);
    badDate.agreement.validFrom = '2026-02-30';
    assert.equal(m(badDate), 'validFrom');
    assert.equal(m({ ...clone(doc), signature: 'not base64!' }), 'signature');
    assert.equal(code(() => createAgreement(fields({ exchange: { url: 'ftp://x' } }), hospital)), 'agreements.malformed');
    assert.equal(code(() => createAgreement(fields({ readers: ['not a certificate'] }), hospital)), 'agreements.malformed');
  });
});

describe('helpers', () => {
  it('isActive, coversModality, authorisedReader, deadline', () => {
    const a = verifyAgreement(createAgreement(fields({ turnaroundHours: { urgent: 6 } }), hospital), [pki.cert('ca.pem')], NOW);
    assert.equal(isActive(a, new Date('2026-12-31T23:00:00Z')), true);
    assert.equal(isActive(a, new Date('2027-01-01T00:00:00Z')), false);
    assert.equal(coversModality(a, ['CT', 'mr']), true);
    assert.equal(coversModality(a, ['CT', 'MG']), false);
    assert.equal(authorisedReader(a, pki.cert('ec.pem')), true);
    assert.equal(authorisedReader(a, pki.cert('rsa.pem')), false);
    const received = new Date('2026-06-15T22:30:00Z');
    assert.equal(deadline(a, 'routine', received).toISOString(), '2026-06-17T22:30:00.000Z');
    assert.equal(deadline(a, 'urgent', received).toISOString(), '2026-06-16T04:30:00.000Z');
  });
});

describe('store', () => {
  const SECRET = { username: 'reader-login-7', password: 'Exchange-Passw0rd-9' };

  it('imports, lists, re-verifies on load, keeps credentials 0600', () => {
    const doc = createAgreement(fields({ validTo: '2099-12-31' }), hospital);
    importAgreement(home, JSON.stringify(doc, null, 2), [pki.cert('ca.pem')], SECRET);
    const list = listAgreements(home);
    assert.equal(list.length, 1);
    assert.equal(list[0]!.active, true);
    assert.deepEqual(list[0]!.readers, ['CN=Petrova Anna, O=Amur tests']);
    assert.equal(list[0]!.exchange, 'https://exchange.example/dicom-web');
    assert.deepEqual(credentialsFor(home, 'GZ-2026-01'), SECRET);
    const credFile = join(home, 'agreements', 'GZ-2026-01', 'credentials.json');
    if (process.platform !== 'win32') assert.equal(statSync(credFile).mode & 0o777, 0o600);
    assert.equal(getAgreement(home, 'GZ-2026-01').validTo, '2099-12-31');
  });

  it('another hospital may not replace an agreement; the same one may, if it verifies', () => {
    const other = readPkcs12(pki.bytes('ec.p12'), pki.passphrase);
    const byOther = createAgreement(fields({ validTo: '2099-12-31' }), other);
    assert.equal(code(() => importAgreement(home, byOther, [pki.cert('ca.pem')])), 'agreements.otherHospital');
    const tampered = clone(createAgreement(fields({ validTo: '2099-12-31' }), hospital));
    tampered.agreement.retentionDays = 365;
    assert.equal(code(() => importAgreement(home, tampered, [pki.cert('ca.pem')])), 'agreements.tampered');
    assert.equal(getAgreement(home, 'GZ-2026-01').retentionDays, 30);
    importAgreement(home, createAgreement(fields({ validTo: '2099-12-31', retentionDays: 60 }), hospital), [pki.cert('ca.pem')]);
    assert.equal(getAgreement(home, 'GZ-2026-01').retentionDays, 60);
    assert.deepEqual(credentialsFor(home, 'GZ-2026-01'), SECRET, 'credentials kept');
  });

  it('a stored file edited on disk is refused by get and list', () => {
    const path = join(home, 'agreements', 'GZ-2026-01', 'agreement.json');
    const original = readFileSync(path, 'utf8');
    chmodSync(path, 0o644);
    writeFileSync(path, original.replace('"2099-12-31"', '"2199-12-31"'));
    assert.equal(code(() => getAgreement(home, 'GZ-2026-01')), 'agreements.tampered');
    assert.equal(code(() => listAgreements(home)), 'agreements.tampered');
    writeFileSync(path, original);
    assert.equal(getAgreement(home, 'GZ-2026-01').id, 'GZ-2026-01');
    assert.equal(code(() => getAgreement(home, 'nope')), 'agreements.notFound');
    assert.equal(code(() => getAgreement(home, '../x')), 'agreements.notFound');
  });

  it('the credentials file holds no secret in clear, and opens only as this agreement\'s, with this home\'s key', async () => {
    const dir = join(home, 'agreements', 'GZ-2026-01');
    const credFile = join(dir, 'credentials.json');
    const bytes = readFileSync(credFile);
    for (const s of [SECRET.username, SECRET.password, Buffer.from(SECRET.password, 'utf16le').toString('latin1')]) {
      assert.ok(!bytes.includes(Buffer.from(s, 'latin1')), `no ${s} in clear`);
    }
    assert.equal(JSON.parse(bytes.toString('utf8')).format, 'amur.sealed-credentials/1');

    // Moved under another agreement: refused, not read as its credentials.
    const other = createAgreement(fields({ id: 'SH-2026-02', validTo: '2099-12-31' }), hospital);
    importAgreement(home, other, [pki.cert('ca.pem')]);
    copyFileSync(credFile, join(home, 'agreements', 'SH-2026-02', 'credentials.json'));
    assert.equal(code(() => credentialsFor(home, 'SH-2026-02')), 'agreements.credentialsSealBroken');
    // Altered: refused.
    const doc = JSON.parse(bytes.toString('utf8'));
    const sealed = Buffer.from(doc.sealed, 'base64');
    sealed[sealed.length - 20]! ^= 1;
    writeFileSync(join(home, 'agreements', 'SH-2026-02', 'credentials.json'), JSON.stringify({ ...doc, sealed: sealed.toString('base64') }));
    assert.equal(code(() => credentialsFor(home, 'SH-2026-02')), 'agreements.credentialsSealBroken');
    // Copied into another store: its vault's key does not open it.
    const elsewhere = mkdtempSync(join(tmpdir(), 'amur-agreements-other-'));
    try {
      await unlockTestHome(elsewhere);
      importAgreement(elsewhere, createAgreement(fields({ validTo: '2099-12-31' }), hospital), [pki.cert('ca.pem')]);
      copyFileSync(credFile, join(elsewhere, 'agreements', 'GZ-2026-01', 'credentials.json'));
      assert.equal(code(() => credentialsFor(elsewhere, 'GZ-2026-01')), 'agreements.credentialsSealBroken');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a locked home neither reads nor stores credentials (and an import that would is refused whole)', () => {
    const locked = mkdtempSync(join(tmpdir(), 'amur-agreements-locked-'));
    try {
      const doc = createAgreement(fields({ id: 'LK-2026-03', validTo: '2099-12-31' }), hospital);
      assert.equal(code(() => importAgreement(locked, doc, [pki.cert('ca.pem')], SECRET)), 'vault.locked');
      assert.deepEqual(listAgreements(locked), [], 'nothing was stored');
      importAgreement(locked, doc, [pki.cert('ca.pem')]);
      assert.equal(credentialsFor(locked, 'LK-2026-03'), undefined, 'no credentials: nothing to open');
      // What an earlier version left in clear cannot be read (nor sealed) without the key.
      writeFileSync(join(locked, 'agreements', 'LK-2026-03', 'credentials.json'), JSON.stringify(SECRET));
      assert.equal(code(() => credentialsFor(locked, 'LK-2026-03')), 'vault.locked');
    } finally {
      rmSync(locked, { recursive: true, force: true });
    }
  });

  it('clear credentials an earlier version wrote are sealed on first read, and on re-import', async () => {
    const legacy = mkdtempSync(join(tmpdir(), 'amur-agreements-legacy-'));
    try {
      await unlockTestHome(legacy);
      const doc = createAgreement(fields({ validTo: '2099-12-31' }), hospital);
      importAgreement(legacy, doc, [pki.cert('ca.pem')]);
      const credFile = join(legacy, 'agreements', 'GZ-2026-01', 'credentials.json');
      const clear = { ...SECRET, ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' };
      const writeClear = () => writeFileSync(credFile, `${JSON.stringify(clear, null, 2)}\n`, { mode: 0o600 });

      writeClear();
      assert.deepEqual(credentialsFor(legacy, 'GZ-2026-01'), clear, 'read as they were');
      assert.ok(!readFileSync(credFile).includes(SECRET.password), 'sealed on that read');
      if (process.platform !== 'win32') assert.equal(statSync(credFile).mode & 0o777, 0o600);
      assert.deepEqual(credentialsFor(legacy, 'GZ-2026-01'), clear, 'and read sealed');

      writeClear();
      importAgreement(legacy, doc, [pki.cert('ca.pem')]);
      assert.ok(!readFileSync(credFile).includes(SECRET.password), 'sealed by the re-import that kept them');
      assert.deepEqual(credentialsFor(legacy, 'GZ-2026-01'), clear);

      // A file that is neither form is corrupt, said so.
      mkdirSync(join(legacy, 'agreements', 'GZ-2026-01'), { recursive: true });
      writeFileSync(credFile, '[1, 2]');
      assert.equal(code(() => credentialsFor(legacy, 'GZ-2026-01')), 'agreements.storeCorrupt');
    } finally {
      rmSync(legacy, { recursive: true, force: true });
    }
  });

  it('the new refusals are translated in every language', () => {
    for (const lang of LANGUAGES) {
      for (const e of [new AmurError('agreements.credentialsSealBroken', { id: 'GZ-2026-01' }), new AmurError('agreements.writeFailed', { path: '/p', detail: 'ENOSPC' })]) {
        const m = errorMessage(e, lang);
        assert.ok(!m.includes(e.code) && !m.includes('{{') && m.includes(e.code === 'agreements.writeFailed' ? '/p' : 'GZ-2026-01'), `${e.code} in ${lang}: ${m}`);
      }
    }
  });
});
