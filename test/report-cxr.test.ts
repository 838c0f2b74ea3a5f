// A chest X-ray report end to end, from a real NIH radiograph (shared data, written as a DX
// instance with dcmjs) through `amur import`, an AI triage result stored with the
// study, `amur report draft` (which proposes the AI's positive finding), the radiologist's decision,
// and `amur report sign`: the accepted AI finding reaches the SR and the PDF labelled as assistive
// with the model's identity; a rejected one reaches neither.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ReportDraft } from '../core/reports/draft.js';
import { readReportSR } from '../core/reports/sr-read.js';
import { StudyStore } from '../core/store/store.js';
import { TriageResults } from '../core/triage/results.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { dciodvfy } from './report-dicom-tools.js';
import { writeCxrDicom } from './report-fixtures.js';
import { newUid as uid } from '../core/reports/draft.js';
import { REPO_ROOT } from './shared-data.js';
import { unlockTestHome } from './vault.js';

let tmp: string;
let home: string;
let pki: TestPki;
const StudyInstanceUID = uid();
const MODEL = { id: 'cxr-pneumonia', version: '1.0.0', sha256: 'c0ffee'.repeat(10) + 'c0ff' };

function amur(args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: home, AMUR_LANG: 'ru' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'amur-'));
  home = join(tmp, 'home');
  pki = makePki();
  const file = join(tmp, 'cxr.dcm');
  writeCxrDicom(file, { StudyInstanceUID, SeriesInstanceUID: uid(), SOPInstanceUID: uid() });
  const imported = amur(['import', file]);
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stdout, /1/);
  // What the triage service stores for a study the model flagged (core/triage/results.ts).
  await unlockTestHome(home);
  const store = StudyStore.open(home);
  try {
    new TriageResults(store.db).put({
      StudyInstanceUID, status: 'done', model: MODEL,
      findings: [{ label: 'pneumonia', score: 0.87, positive: true, positiveAtHighSensitivity: true }],
      operatingPoints: { balanced: 0.5, high_sensitivity: 0.3 },
      instances: { done: 1, notApplicable: 0, error: 0 },
      triagedAt: new Date().toISOString(),
    });
  } finally {
    store.close();
  }
});
after(() => {
  pki.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('chest X-ray report with an AI proposal', () => {
  let draft: ReportDraft;
  before(() => {
    const r = amur(['report', 'draft', '--study', StudyInstanceUID]);
    assert.equal(r.status, 0, r.stderr);
    draft = JSON.parse(r.stdout);
  });

  it('drafts with the chest X-ray template and proposes the AI finding, undecided', () => {
    assert.equal(draft.template.id, 'cxr');
    assert.equal(draft.languages.reader, 'ru');
    assert.deepEqual(draft.aiFindings, [{
      id: 'cxr-pneumonia:pneumonia', model: { name: MODEL.id, version: MODEL.version, sha256: MODEL.sha256 }, findingId: 'pneumonia', score: 0.87, status: 'proposed',
    }]);
  });

  it('refuses to sign while the proposal is undecided', () => {
    const f = join(tmp, 'undecided.json');
    writeFileSync(f, JSON.stringify({ ...draft, findings: [{ id: 'pleural-effusion' }] }));
    const r = amur(['report', 'sign', f, '--identity', pki.file('ec.p12'), '--passphrase-file', pki.file('passphrase.txt'), '--out', join(tmp, 'no')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Предложение ИИ «Пневмония» не принято и не отклонено/);
  });

  for (const decision of ['accepted', 'rejected'] as const) {
    it(`signs with the proposal ${decision}: the SR and the PDF carry it only when accepted`, () => {
      const d: ReportDraft = {
        ...draft,
        findings: [{ id: 'pleural-effusion' }],
        impression: [{ lang: 'ru', text: 'Правосторонняя пневмония, малый выпот.' }, { lang: 'zh-CN', text: '右侧肺炎，少量胸腔积液。' }],
        aiFindings: draft.aiFindings.map((a) => ({ ...a, status: decision })),
      };
      const f = join(tmp, `${decision}.json`);
      writeFileSync(f, JSON.stringify(d));
      const out = join(tmp, decision);
      const r = amur(['report', 'sign', f, '--identity', pki.file('ec.p12'), '--passphrase-file', pki.file('passphrase.txt'), '--out', out]);
      assert.equal(r.status, 0, r.stderr);
      const sr = readReportSR(readFileSync(join(out, 'report-sr.dcm')));
      const pneumonia = sr.findings.find((x) => x.code?.value === '233604007');
      const pdfText = spawnSync('pdftotext', [join(out, 'report.pdf'), '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
      if (decision === 'accepted') {
        assert.deepEqual(pneumonia?.ai, { name: MODEL.id, version: MODEL.version, sha256: MODEL.sha256 });
        assert.deepEqual(pneumonia?.text, { 'zh-CN': '肺炎', ru: 'Пневмония' });
        assert.ok(pdfText.includes('人工智能辅助发现'), 'the PDF labels the AI finding as assistive');
        assert.ok(pdfText.includes(`${MODEL.id} ${MODEL.version}, SHA-256 ${MODEL.sha256}`));
      } else {
        assert.equal(pneumonia, undefined);
        assert.ok(!pdfText.includes('SCT 233604007') && !pdfText.includes(MODEL.sha256) && !pdfText.includes('人工智能辅助发现'));
      }
      assert.ok(sr.findings.some((x) => x.code?.value === '60046008'), 'the hand-picked finding is there either way');
      for (const [file, iod] of [['report-sr.dcm', 'ComprehensiveSR'], ['report-pdf.dcm', 'EncapsulatedPDF']] as const) {
        const v = dciodvfy(join(out, file));
        assert.deepEqual([v.iod, v.errors, v.unexplained], [iod, [], []]);
      }
      assert.equal(spawnSync('dcmsign', ['--verify', '+rg', '+cf', pki.file('ca.pem'), join(out, 'report-sr.dcm')]).status, 0);
    });
  }
});
