// `amur studies` follows a study's reading as a user does it from the command line: a real head CT
// imported into a fresh AMUR_HOME is new; `amur report draft` makes it in progress; a draft a
// radiologist would not sign (nothing in it) is refused and changes nothing; `amur report sign`
// makes it reported. --json carries `status` and the worklist's columns (age, sex, accession, body
// part); the text table shows the status in the reader's language. Delivery (reported → delivered)
// is followed through a real exchange in roundtrip.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StudySummary } from '../core/contract/studies.js';
import { readPart10 } from '../core/reports/dcmjs.js';
import type { ReportDraft } from '../core/reports/draft.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { filledDraft, headCtFiles } from './report-fixtures.js';
import { REPO_ROOT } from './shared-data.js';

let pki: TestPki;
let tmp: string;
let home: string;
let studyUID: string;
let header: Record<string, any>;

function amur(args: string[], lang = 'en') {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, AMUR_HOME: home, AMUR_LANG: lang },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function study(): StudySummary {
  const r = amur(['studies', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const list = JSON.parse(r.stdout) as StudySummary[];
  assert.equal(list.length, 1);
  return list[0]!;
}

before(() => {
  pki = makePki();
  tmp = mkdtempSync(join(tmpdir(), 'amur-'));
  home = join(tmp, 'home');
  const files = headCtFiles();
  const r = amur(['import', join(files[0]!, '..')]);
  assert.equal(r.status, 0, r.stderr);
  header = readPart10(readFileSync(files[0]!), { untilTag: '7FE00010' }).dataset;
  studyUID = header.StudyInstanceUID;
});
after(() => {
  pki.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('amur studies: the reading status and the worklist columns', () => {
  it('lists a study just imported as new, with the age, sex, accession and body part its files give', () => {
    const s = study();
    assert.equal(s.StudyInstanceUID, studyUID);
    assert.equal(s.status, 'new');
    // As the files say them (the referee is the file's own header, read by dcmjs).
    assert.equal(s.PatientSex, header.PatientSex ?? '');
    assert.equal(s.PatientAge, header.PatientAge ?? '');
    assert.equal(s.AccessionNumber, header.AccessionNumber ?? '');
    assert.equal(s.BodyPartExamined, header.BodyPartExamined ?? '');
    assert.deepEqual([s.PatientSex, s.BodyPartExamined], ['M', 'BRAIN'], 'this CT states both');
    assert.match(amur(['studies']).stdout.split('\n')[2]!, /^New\s/);
  });

  let draft: ReportDraft;
  it('is in progress once `amur report draft` made a draft of it', () => {
    const r = amur(['report', 'draft', '--study', studyUID]);
    assert.equal(r.status, 0, r.stderr);
    draft = JSON.parse(r.stdout) as ReportDraft;
    assert.equal(study().status, 'in-progress');
    const table = amur(['studies'], 'ru').stdout.split('\n');
    assert.match(table[0]!, /^Статус\s/);
    assert.match(table[2]!, /^В работе\s/);
  });

  const sign = (d: ReportDraft, out: string) => {
    const f = join(tmp, `draft-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify(d, null, 2));
    return amur(['report', 'sign', f, '--identity', pki.file('rsa.p12'), '--passphrase-file', pki.file('passphrase.txt'), '--out', out]);
  };

  it('stays in progress when the draft is refused (nothing in it to sign)', () => {
    const r = sign({ ...draft, findings: [], texts: [], impression: [], aiFindings: [] } as ReportDraft, join(tmp, 'refused'));
    assert.notEqual(r.status, 0);
    assert.equal(study().status, 'in-progress');
  });

  it('is reported once `amur report sign` signed it', () => {
    const filled = filledDraft(draft.study);
    const r = sign({ ...filled, draftId: draft.draftId, createdAt: draft.createdAt }, join(tmp, 'signed'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(study().status, 'reported');
    assert.match(amur(['studies'], 'zh-CN').stdout.split('\n')[2]!, /^已出报告\s/);
  });
});
