// The shipped templates load and say everything in the three languages; a broken template is
// refused with the field named.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAmurError } from '../common/errors.js';
import { findingsExclude, listTemplates, loadTemplate, templateForStudy, validateTemplate } from './template.js';

describe('report templates', () => {
  it('ships chest X-ray, CT head, CT chest and MR brain, each complete in zh-CN, ru and en', () => {
    const all = listTemplates();
    assert.deepEqual(all.map((t) => t.id), ['ct-chest', 'ct-head', 'cxr', 'mr-brain']);
    for (const t of all) {
      const findings = t.sections.find((s) => s.kind === 'findings')!.findings!;
      assert.ok(findings.length >= 8, `${t.id} has a real pick-list`);
      for (const f of findings) {
        for (const l of ['zh-CN', 'ru', 'en'] as const) assert.ok(f.text[l].trim(), `${t.id}.${f.id} ${l}`);
        assert.match(f.text['zh-CN'], /[\u4e00-\u9fff]/, `${t.id}.${f.id} zh-CN is Chinese`);
        assert.match(f.text.ru, /[А-яЁё]/, `${t.id}.${f.id} ru is Russian`);
      }
      assert.ok(t.sections.some((s) => s.kind === 'impression'));
    }
  });

  it('uses only SNOMED CT and ICD-10 codes of the right shape', () => {
    for (const t of listTemplates()) {
      for (const f of t.sections.flatMap((s) => s.findings ?? [])) {
        for (const c of f.codes) {
          if (c.scheme === 'SCT') assert.match(c.value, /^\d{6,18}$/, `${t.id}.${f.id}`);
          else if (c.scheme === 'I10') assert.match(c.value, /^[A-Z]\d\d(\.\d)?$/, `${t.id}.${f.id}`);
          else assert.fail(`${t.id}.${f.id}: unexpected scheme ${c.scheme}`);
        }
      }
    }
  });

  it('picks the template by modality and description', () => {
    assert.equal(templateForStudy(['CT'], '1A TRAUMA/PLAIN HEAD DM').id, 'ct-head');
    assert.equal(templateForStudy(['CT'], 'CT THORAX').id, 'ct-chest');
    assert.equal(templateForStudy(['DX'], '').id, 'cxr');
    assert.equal(templateForStudy(['MR'], 'Brain').id, 'mr-brain');
    assert.throws(() => templateForStudy(['US'], ''), (e: unknown) => isAmurError(e) && e.code === 'reports.noTemplateForStudy');
  });

  it('declares which findings exclude which: "no abnormality" excludes every positive finding, both ways', () => {
    for (const t of listTemplates()) {
      const ids = t.sections.find((s) => s.kind === 'findings')!.findings!.map((f) => f.id);
      for (const id of ids.filter((x) => x !== 'normal')) {
        assert.ok(findingsExclude(t, 'normal', id), `${t.id}: normal excludes ${id}`);
        assert.ok(findingsExclude(t, id, 'normal'), `${t.id}: ${id} excludes normal`);
      }
      assert.equal(findingsExclude(t, 'normal', 'normal'), false);
    }
    const head = loadTemplate('ct-head');
    assert.equal(findingsExclude(head, 'intracranial-hemorrhage', 'midline-shift'), false);
  });

  it('reads an exclusion by id from the data, and refuses one naming no finding of the list', () => {
    const t = JSON.parse(JSON.stringify(loadTemplate('cxr')));
    const list = t.sections[1].findings;
    list[1].excludes = ['pulmonary-edema'];
    const v = validateTemplate(t, 'x.json');
    assert.ok(findingsExclude(v, 'pneumonia', 'pulmonary-edema'));
    assert.ok(findingsExclude(v, 'pulmonary-edema', 'pneumonia'));
    assert.equal(findingsExclude(v, 'pneumonia', 'pleural-effusion'), false);
    for (const bad of [['no-such-finding'], [list[1].id], [], 'normal']) {
      const b = JSON.parse(JSON.stringify(t));
      b.sections[1].findings[1].excludes = bad;
      assert.throws(() => validateTemplate(b, 'x.json'),
        (e: unknown) => isAmurError(e) && e.code === 'reports.templateInvalid' && /^sections\[1\]\.findings\[1\]\.excludes/.test(String(e.params.field)));
    }
  });

  it('refuses a broken template, naming the field', () => {
    const good = JSON.parse(JSON.stringify(loadTemplate('cxr')));
    const broken = JSON.parse(JSON.stringify(good));
    delete broken.sections[1].findings[2].text.ru;
    assert.throws(() => validateTemplate(broken, 'x.json'),
      (e: unknown) => isAmurError(e) && e.code === 'reports.templateInvalid' && e.params.field === 'sections[1].findings[2].text.ru');
    const badCode = JSON.parse(JSON.stringify(good));
    badCode.sections[1].findings[1].codes[0].scheme = 'MADEUP';
    assert.throws(() => validateTemplate(badCode, 'x.json'), (e: unknown) => isAmurError(e) && e.params.field === 'sections[1].findings[1].codes[0].scheme');
    const dir = mkdtempSync(join(tmpdir(), 'amur-'));
    try {
      writeFileSync(join(dir, 'bad.json'), '{ not json');
      assert.throws(() => loadTemplate('bad', dir), (e: unknown) => isAmurError(e) && e.params.field === '(json)');
      assert.throws(() => loadTemplate('absent', dir), (e: unknown) => isAmurError(e) && e.code === 'reports.templateNotFound');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
