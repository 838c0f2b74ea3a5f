// The report PDF as poppler sees it: one font, the Noto Sans SC subset shipped in assets/fonts,
// embedded; the partner's Chinese beside the reader's Russian or English; coded findings with
// their codes; free text marked with its language; measurements; the accepted AI finding labelled
// as assistive with its model; the signer, the UTC time and the amendment reference; and pdftoppm
// renders every page.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAmurError } from '../core/common/errors.js';
import { resolveReport } from '../core/reports/content.js';
import { validateDraft, type ReaderLanguage, type ReportDraft } from '../core/reports/draft.js';
import { renderReportPdf } from '../core/reports/pdf.js';
import { filledDraft } from './report-fixtures.js';

let tmp: string;
before(() => { tmp = mkdtempSync(join(tmpdir(), 'amur-')); });
after(() => rmSync(tmp, { recursive: true, force: true }));

const VERIFIED = new Date('2026-11-20T08:15:30Z');
const PREDECESSOR_UID = '2.25.77777777777777777777';

async function render(reader: ReaderLanguage, change: (d: ReportDraft) => void = () => {}): Promise<string> {
  const d = filledDraft(undefined, reader);
  change(d);
  const { draft, template } = validateDraft(JSON.parse(JSON.stringify(d)), 'draft.json');
  const pdf = await renderReportPdf(resolveReport(draft, template, VERIFIED), { reportUID: '2.25.1002' });
  const f = join(tmp, `report-${reader}-${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(f, pdf);
  return f;
}

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${cmd} failed: ${r.stderr}`);
  return r.stdout;
}

/** pdftotext keeps the two columns apart with -layout off; newlines inside a wrapped cell are joined. */
const text = (f: string): string => tool('pdftotext', ['-enc', 'UTF-8', f, '-']).replace(/\s+/g, ' ');

describe('report PDF', () => {
  for (const reader of ['ru', 'en'] as const) {
    it(`embeds only the shipped CJK font (reader ${reader})`, async () => {
      const f = await render(reader);
      const rows = tool('pdffonts', [f]).trim().split('\n').slice(2);
      assert.equal(rows.length, 1, rows.join('\n'));
      const [name, ...rest] = rows[0]!.split(/\s+/);
      assert.match(name!, /^[A-Z]{6}\+NotoSansSC-Regular$/);
      // type "CID TrueType", encoding Identity-H, then emb / sub / uni all "yes".
      assert.deepEqual(rest.slice(3, 6), ['yes', 'yes', 'yes'], rows[0]);
    });
  }

  it('shows Chinese beside Russian: findings in both with codes, text marked, measurements, AI, signer, UTC', async () => {
    const f = await render('ru', (d) => {
      d.predecessor = { StudyInstanceUID: d.study.StudyInstanceUID, SeriesInstanceUID: '2.25.5', SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.33', SOPInstanceUID: PREDECESSOR_UID };
    });
    const s = text(f);
    for (const expected of [
      '会诊意见', 'Консультативное заключение', '头颅CT检查报告', 'КТ головного мозга',
      '颅内出血', 'Внутричерепное кровоизлияние', 'SCT 1386000 Intracranial hemorrhage', 'I10 I62.9',
      '中线结构移位', 'Смещение срединных структур', '无编码 / без кода',
      '外伤后头痛3小时。', '[zh-CN] 原文为中文', 'Гиперденсная зона в левой лобной доле', '[ru] 原文为俄文 / написано на языке: русский',
      '左额叶脑内血肿。', 'Внутримозговая гематома левой лобной доли.',
      'Hematoma 1', '长度 / Длина: 23.4 mm', 'ROI 1', '面积 / Площадь: 154.2 mm²', '平均值 / Среднее: 62.5 HU',
      '人工智能辅助发现，已经放射科医师确认 / Находка ИИ (вспомогательная), принята врачом-рентгенологом',
      'amur-ct-ich 0.3.1', '0123456789abcdef0123456789abcdef',
      'Ivanov Petr', 'Amur Radiology Group', '2026-11-20 08:15:30 UTC',
      `本报告修订并取代报告 ${PREDECESSOR_UID}`, `Это заключение исправляет и заменяет заключение ${PREDECESSOR_UID}`,
      'PLASTIC', '1A TRAUMA/PLAIN HEAD DM',
    ]) assert.ok(s.includes(expected), `missing in PDF text: ${expected}`);
    // The radiologist rejected the AI's skull fracture: it must not appear.
    assert.ok(!s.includes('颅骨骨折') && !s.includes('Перелом костей черепа'));
  });

  it('shows Chinese beside English for an English-reading radiologist, with no Russian', async () => {
    const s = text(await render('en'));
    for (const expected of ['会诊意见', 'Consultation opinion', 'CT head report', 'Intracranial haemorrhage', '颅内出血', 'Left frontal intracerebral haematoma.', 'Length: 23.4 mm'].map((x) => x.replace('Length', '长度 / Length'))) {
      assert.ok(s.includes(expected), `missing in PDF text: ${expected}`);
    }
    assert.doesNotMatch(s, /[А-яЁё]/);
  });

  it('renders every page with pdftoppm', async () => {
    const f = await render('ru');
    const out = join(tmp, 'png');
    tool('mkdir', ['-p', out]);
    tool('pdftoppm', ['-r', '50', '-png', f, join(out, 'page')]);
    const pages = readdirSync(out);
    assert.ok(pages.length >= 1);
    for (const p of pages) assert.ok(statSync(join(out, p)).size > 5000, `${p} is nearly empty`);
  });

  it('refuses a character the shipped font cannot draw instead of printing a box', async () => {
    await assert.rejects(
      render('ru', (d) => { d.impression = [{ lang: 'zh-CN', text: '𠀀' }]; }),
      (e: unknown) => isAmurError(e) && e.code === 'reports.glyphMissing' && e.params.codepoint === '20000',
    );
  });
});
