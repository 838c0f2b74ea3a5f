// Why a draft cannot be signed, all reasons at once, each in zh-CN, ru and en with the finding's
// label and the section's title (never an id): an empty report, findings the template says exclude
// each other, undecided AI proposals, text in another script than its language tag, and a
// certificate that names no person or organisation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportDraft, StudyReference } from '../contract/reports.js';
import { isAmurError } from '../common/errors.js';
import { errorMessage } from '../i18n/index.js';
import { createDraft } from './draft.js';
import { assertSignable, draftProblems, ReportNotSignable, retagLanguages } from './problems.js';
import { loadTemplate } from './template.js';

const study: StudyReference = {
  StudyInstanceUID: '1.2.3', StudyID: '1', StudyDate: '20261122', StudyTime: '101500', AccessionNumber: 'A1',
  StudyDescription: 'Chest PA', ReferringPhysicianName: '', PatientName: 'Test^Patient', PatientID: 'P1',
  IssuerOfPatientID: '', PatientBirthDate: '', PatientSex: '',
  series: [{ SeriesInstanceUID: '1.2.3.1', Modality: 'DX', instances: [{ SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1', SOPInstanceUID: '1.2.3.1.1' }] }],
};
const template = loadTemplate('cxr');
const signer = { name: 'Ivanov Ivan^', displayName: 'Ivanov Ivan', organization: 'Amur tests', commonName: 'Ivanov Ivan', subject: 'CN=Ivanov Ivan, O=Amur tests' };
const model = { name: 'cxr-pneumonia', version: '2.0.0', sha256: 'ab'.repeat(32) };

function draft(change: (d: ReportDraft) => void = () => undefined): ReportDraft {
  const d = createDraft(study, template, { reader: 'en' });
  change(d);
  return d;
}
const codes = (d: ReportDraft, s = signer) => draftProblems(d, template, s).map((p) => `${p.code} ${p.field}`);

describe('draftProblems', () => {
  it('finds nothing wrong with an ordinary report', () => {
    const d = draft((x) => {
      x.findings = [{ id: 'pneumonia' }];
      x.impression = [{ lang: 'en', text: 'Right lower lobe pneumonia.' }, { lang: 'zh-CN', text: '右下肺炎。' }];
    });
    assert.deepEqual(draftProblems(d, template, signer), []);
  });

  it('refuses a report with no finding, no text and no impression, as after rejecting the only AI proposal', () => {
    const d = draft((x) => {
      x.aiFindings = [{ id: 'ai-1', model, findingId: 'pneumonia', score: 0.8, status: 'rejected' }];
      x.texts = [{ section: 'history', lang: 'en', text: 'Cough for three days.' }, { section: 'findings', lang: 'en', text: '   ' }];
    });
    const [p, ...more] = draftProblems(d, template, signer);
    assert.equal(more.length, 0);
    assert.deepEqual([p!.code, p!.field], ['reports.problem.empty', 'findings']);
    assert.match(p!.message.en, /no finding, no text and no impression/);
    assert.match(p!.message.ru, /нет ни находки, ни текста, ни вывода/);
    assert.match(p!.message['zh-CN'], /无可签名/);
  });

  it('refuses "no abnormality" together with a positive finding, picked or accepted from the AI, by their labels', () => {
    const d = draft((x) => {
      x.findings = [{ id: 'normal' }, { id: 'pleural-effusion' }];
      x.aiFindings = [{ id: 'ai-1', model, findingId: 'pneumonia', score: 0.9, status: 'accepted' }];
    });
    const ps = draftProblems(d, template, signer);
    assert.deepEqual(ps.map((p) => [p.code, p.field, p.params.finding, p.params.other]), [
      ['reports.problem.contradictory', 'findings[1]', 'normal', 'pleural-effusion'],
      ['reports.problem.contradictory', 'aiFindings[0]', 'normal', 'pneumonia'],
    ]);
    assert.equal(ps[0]!.message.en, '“No abnormality of the heart and lungs” contradicts “Pleural effusion”: a report cannot state both; remove one of them');
    assert.match(ps[1]!.message.ru, /«Патологических изменений органов грудной клетки не выявлено» противоречит находке «Пневмония»/);
    assert.match(ps[1]!.message['zh-CN'], /“心肺未见明显异常”与“肺炎”相互矛盾/);
    for (const p of ps) for (const m of Object.values(p.message)) assert.doesNotMatch(m, /pleural-effusion|\bpneumonia\b|\bnormal\b|\{\{/);
  });

  it('allows findings that do not exclude each other', () => {
    assert.deepEqual(codes(draft((x) => { x.findings = [{ id: 'pneumonia' }, { id: 'pleural-effusion' }, { id: 'cardiomegaly' }]; })), []);
  });

  it('refuses text whose script contradicts its language tag, naming the section and both languages', () => {
    const d = draft((x) => {
      x.findings = [{ id: 'pneumonia' }];
      x.texts = [{ section: 'findings', lang: 'en', text: 'Инфильтрация в нижней доле правого лёгкого.' }];
      x.impression = [{ lang: 'en', text: 'Right lower lobe pneumonia, 23 mm.' }, { lang: 'zh-CN', text: 'Right lower lobe pneumonia.' }];
    });
    const ps = draftProblems(d, template, signer);
    assert.deepEqual(ps.map((p) => [p.code, p.field, p.params.tagged, p.params.detected]), [
      ['reports.problem.languageMismatch', 'texts[0].lang', 'en', 'ru'],
      ['reports.problem.languageMismatch', 'impression[1].lang', 'zh-CN', 'en'],
    ]);
    assert.equal(ps[0]!.message.en, 'The text under “Findings” is marked English but is written in Russian; mark it with its own language');
    assert.match(ps[0]!.message.ru, /Текст в разделе «Описание» помечен как английский, но написан на другом языке \(русский\)/);
    assert.match(ps[1]!.message['zh-CN'], /“诊断意见”中的文字标为中文，但实际为英文/);
  });

  it('lists every reason at once, the certificate\'s lacks and undecided AI proposals included', () => {
    const d = draft((x) => {
      x.findings = [{ id: 'normal' }, { id: 'nodule' }];
      x.aiFindings = [{ id: 'ai-1', model, findingId: 'pneumonia', score: 0.8, status: 'proposed' }];
      x.impression = [{ lang: 'en', text: 'Очаг в правом лёгком.' }];
    });
    const anonymous = { name: '', displayName: '', organization: '', commonName: '', subject: 'C=RU' };
    assert.deepEqual(codes(d, anonymous), [
      'reports.problem.signerNoName signer',
      'reports.problem.signerNoOrganization signer',
      'reports.problem.aiUndecided aiFindings[0]',
      'reports.problem.contradictory findings[1]',
      'reports.problem.languageMismatch impression[0].lang',
    ]);
    assert.throws(() => assertSignable(d, template, anonymous, 'draft.json'), (e: unknown) => {
      assert.ok(e instanceof ReportNotSignable && isAmurError(e));
      assert.equal(e.problems.length, 5);
      const ru = errorMessage(e, 'ru');
      assert.match(ru, /^Это заключение нельзя подписать:/);
      assert.equal(ru.split('\n').length, 6, 'one line per reason');
      assert.match(ru, /Предложение ИИ «Пневмония» не принято и не отклонено/);
      assert.match(errorMessage(e, 'zh-CN'), /签名证书（C=RU）未注明机构/);
      return true;
    });
  });
});

describe('retagLanguages', () => {
  it('tags each contradicting text with the language it is written in, and says which', () => {
    const d = draft((x) => {
      x.texts = [{ section: 'findings', lang: 'en', text: 'Инфильтрация в нижней доле.' }, { section: 'history', lang: 'zh-CN', text: '咳嗽三天。' }];
      x.impression = [{ lang: 'en', text: 'Пневмония.' }];
    });
    const { draft: r, retagged } = retagLanguages(d, template);
    assert.deepEqual(retagged, [
      { field: 'texts[0].lang', section: 'findings', from: 'en', to: 'ru' },
      { field: 'impression[0].lang', section: 'impression', from: 'en', to: 'ru' },
    ]);
    assert.deepEqual(r.texts.map((x) => x.lang), ['ru', 'zh-CN']);
    assert.equal(d.texts[0]!.lang, 'en', 'the draft itself is left as it was');
  });
});
