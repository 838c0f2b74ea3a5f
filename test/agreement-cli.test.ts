// `amur agreement new|import|list` as a hospital and a reader run them: the real CLI, AMUR_HOME in a
// temporary folder, refusals with a non-zero exit and the reason in the reader's language.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentialsFor } from '../core/agreements/index.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { REPO_ROOT } from './shared-data.js';
import { unlockTestHome } from './vault.js';

/** Every file under a folder. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

let pki: TestPki;
let tmp: string;
let home: string;

function amur(args: string[], lang = 'en', amurHome = home, env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], {
    encoding: 'utf8',
    input: '',
    timeout: 120_000,
    env: { ...process.env, AMUR_HOME: amurHome, AMUR_LANG: lang, ...env },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function newAgreement(out: string, over: { id?: string; from?: string; to?: string; identity?: string; extra?: string[] } = {}) {
  return amur([
    'agreement', 'new', '--id', over.id ?? 'GZ-2026-01', '--partner', 'Guangzhou Partner Hospital', '--partner-zh', '广州合作医院',
    '--provider', 'Amur Radiology Group', '--valid-from', over.from ?? '2026-01-01', '--valid-to', over.to ?? '2099-12-31',
    '--modalities', 'CR,DX,CT,MR', '--reader', pki.file('ec.pem'), '--reader', pki.file('rsa.pem'), '--languages', 'zh-CN,ru',
    '--exchange', 'https://exchange.example/dicom-web', '--identity', pki.file(over.identity ?? 'staff.p12'),
    '--passphrase-file', pki.file('passphrase.txt'), '--out', out, ...(over.extra ?? []),
  ]);
}

before(() => {
  pki = makePki();
  tmp = mkdtempSync(join(tmpdir(), 'amur-agreement-cli-'));
  home = join(tmp, 'home');
});
after(() => {
  pki.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('amur agreement', () => {
  const file = () => join(tmp, 'agreement.json');

  it('new writes a signed agreement document with the options and defaults', () => {
    const r = newAgreement(file(), { extra: ['--turnaround', 'routine=24,urgent=2', '--retention-days', '60', '--client-certificate-required'] });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /GZ-2026-01.*Sidorov Petr/);
    const doc = JSON.parse(readFileSync(file(), 'utf8'));
    assert.equal(doc.format, 'amur.agreement/1');
    assert.match(doc.signature, /^[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(doc.agreement.partner, { nameZh: '广州合作医院', nameLatin: 'Guangzhou Partner Hospital' });
    assert.deepEqual(doc.agreement.turnaroundHours, { routine: 24, urgent: 2 });
    assert.equal(doc.agreement.retentionDays, 60);
    assert.equal(doc.agreement.exchange.clientCertificateRequired, true);
    assert.deepEqual(doc.agreement.signatureAlgorithms, ['ecdsa']);
    assert.equal(doc.agreement.deidentification.allowBurnedInAnnotation, false);
    assert.equal(doc.agreement.readers.length, 2);
  });

  it('new refuses a bad option value with a translated reason', () => {
    const r = newAgreement(join(tmp, 'bad.json'), { extra: ['--turnaround', 'soon=1'] });
    assert.notEqual(r.code, 0);
    assert.match(r.err, /--turnaround/);
    const bad = newAgreement(join(tmp, 'bad.json'), { to: '2026-13-01' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /validTo/);
  });

  it('import → list --json shows it active, credentials kept 0600 and sealed', async () => {
    const cred = join(tmp, 'cred.json');
    writeFileSync(join(tmp, 'client.pem'), readFileSync(pki.file('ec.pem')));
    const clientKey = readFileSync(pki.file('ec.key'), 'utf8');
    writeFileSync(cred, JSON.stringify({ username: 'reader-cli-login', password: 's3cret-Exchange-Pw', clientCertificate: 'client.pem', clientKey }));
    const r = amur(['agreement', 'import', file(), '--trust', pki.file('ca.pem'), '--credentials', cred]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.out.trim(), 'GZ-2026-01');
    const credFile = join(home, 'agreements', 'GZ-2026-01', 'credentials.json');
    // Nothing of the secrets in clear in the file, nor anywhere under AMUR_HOME.
    const keyBody = clientKey.split('\n').find((l) => l.length > 40)!;
    for (const f of walk(home)) {
      const bytes = readFileSync(f);
      for (const secret of ['s3cret-Exchange-Pw', 'reader-cli-login', keyBody]) assert.ok(!bytes.includes(secret), `${secret} in clear in ${f}`);
    }
    assert.equal(JSON.parse(readFileSync(credFile, 'utf8')).format, 'amur.sealed-credentials/1');
    if (process.platform !== 'win32') assert.equal(statSync(credFile).mode & 0o777, 0o600);
    // With the vault the CLI unlocked (AMUR_PASSPHRASE_FILE), they open as imported.
    await unlockTestHome(home);
    const stored = credentialsFor(home, 'GZ-2026-01')!;
    assert.equal(stored.username, 'reader-cli-login');
    assert.equal(stored.password, 's3cret-Exchange-Pw');
    assert.match(stored.clientCert!, /BEGIN CERTIFICATE/);
    assert.match(stored.clientKey!, /PRIVATE KEY/);

    const l = amur(['agreement', 'list', '--json']);
    assert.equal(l.code, 0, l.err);
    const list = JSON.parse(l.out);
    assert.equal(list.length, 1);
    assert.equal(list[0].id, 'GZ-2026-01');
    assert.equal(list[0].active, true);
    assert.deepEqual(list[0].modalities, ['CR', 'DX', 'CT', 'MR']);
    assert.deepEqual(list[0].readers, ['CN=Petrova Anna, O=Amur tests', 'CN=Ivanov Ivan, O=Amur tests']);
    assert.equal(list[0].exchange, 'https://exchange.example/dicom-web');
    const table = amur(['agreement', 'list'], 'zh-CN');
    assert.match(table.out, /广州合作医院.*生效中/);
    const j = amur(['agreement', 'import', file(), '--trust', pki.file('ca.pem'), '--json']);
    assert.equal(JSON.parse(j.out).imported, 'GZ-2026-01');
  });

  it('import needs the store\'s passphrase (AMUR_PASSPHRASE_FILE or its --passphrase-file); new and list do not', () => {
    const bare = join(tmp, 'home-no-vault');
    const noVault = { AMUR_PASSPHRASE_FILE: undefined };
    const refused = amur(['agreement', 'import', file(), '--trust', pki.file('ca.pem')], 'en', bare, noVault);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /AMUR_PASSPHRASE_FILE/);
    assert.equal(existsSync(join(bare, 'agreements')), false, 'nothing stored');
    const zh = amur(['agreement', 'import', file(), '--trust', pki.file('ca.pem')], 'zh-CN', bare, noVault);
    assert.equal(zh.code, 1);
    assert.match(zh.err, /AMUR_PASSPHRASE_FILE/);
    assert.doesNotMatch(zh.err, /The data under/);
    assert.equal(amur(['agreement', 'list', '--json'], 'en', bare, noVault).code, 0);
    assert.equal(newAgreement(join(tmp, 'no-vault.json'), { id: 'NV-1' }).code, 0);
    const given = amur(['agreement', 'import', file(), '--trust', pki.file('ca.pem'), '--passphrase-file', process.env.AMUR_PASSPHRASE_FILE!, '--json'], 'en', bare, noVault);
    assert.equal(given.code, 0, given.err);
    assert.equal(JSON.parse(given.out).imported, 'GZ-2026-01');
  });

  it('a tampered file is refused (ru), non-zero exit', () => {
    const doc = JSON.parse(readFileSync(file(), 'utf8'));
    doc.agreement.modalities.push('MG');
    const t = join(tmp, 'tampered.json');
    writeFileSync(t, JSON.stringify(doc));
    const r = amur(['agreement', 'import', t, '--trust', pki.file('ca.pem')], 'ru', join(tmp, 'home-tampered'));
    assert.equal(r.code, 1);
    assert.match(r.err, /Соглашение GZ-2026-01 изменено после подписания больницей/);
    delete doc.signature;
    writeFileSync(t, JSON.stringify(doc));
    const u = amur(['agreement', 'import', t, '--trust', pki.file('ca.pem')], 'en', join(tmp, 'home-tampered'));
    assert.equal(u.code, 1);
    assert.match(u.err, /no signature/);
    assert.equal(JSON.parse(amur(['agreement', 'list', '--json'], 'en', join(tmp, 'home-tampered')).out).length, 0);
  });

  it('the wrong trust is refused (zh-CN), non-zero exit', () => {
    const r = amur(['agreement', 'import', file(), '--trust', pki.file('rogue-ca.pem')], 'zh-CN', join(tmp, 'home-wrong'));
    assert.equal(r.code, 1);
    assert.match(r.err, /协议签署者 CN=Sidorov Petr, O=Amur tests 不受信任：签名者 CN=Sidorov Petr/);
  });

  it('an expired or not yet valid agreement is refused with its dates', () => {
    const old = join(tmp, 'old.json');
    assert.equal(newAgreement(old, { id: 'OLD-1', from: '2024-01-01', to: '2024-12-31' }).code, 0);
    const r = amur(['agreement', 'import', old, '--trust', pki.file('ca.pem')], 'ru');
    assert.equal(r.code, 1);
    assert.match(r.err, /Срок действия соглашения OLD-1 истёк: оно действовало с 2024-01-01 по 2024-12-31/);
    const future = join(tmp, 'future.json');
    assert.equal(newAgreement(future, { id: 'NEW-1', from: '2090-01-01', to: '2090-12-31' }).code, 0);
    const f = amur(['agreement', 'import', future, '--trust', pki.file('ca.pem')]);
    assert.equal(f.code, 1);
    assert.match(f.err, /Agreement NEW-1 is not yet in force: it is valid from 2090-01-01 to 2090-12-31/);
  });

  it('another hospital cannot replace an imported agreement', () => {
    const other = join(tmp, 'other.json');
    assert.equal(newAgreement(other, { identity: 'rsa.p12' }).code, 0);
    const r = amur(['agreement', 'import', other, '--trust', pki.file('ca.pem')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /Ivanov Ivan, O=Amur tests, a different hospital, may not replace it/);
  });

  it('a stored file edited on disk after import is refused by list', () => {
    const path = join(home, 'agreements', 'GZ-2026-01', 'agreement.json');
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, original.replace('"2099-12-31"', '"2199-12-31"'));
    const r = amur(['agreement', 'list', '--json'], 'ru');
    assert.equal(r.code, 1);
    assert.match(r.err, /изменено после подписания/);
    writeFileSync(path, original);
    assert.equal(amur(['agreement', 'list', '--json']).code, 0);
  });

  it('usage errors are translated', () => {
    const r = amur(['agreement', 'frobnicate'], 'ru');
    assert.equal(r.code, 1);
    assert.match(r.err, /Использование: amur agreement new/);
  });
});
