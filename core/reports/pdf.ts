// The report as a PDF for people: the partner's language (zh-CN) beside the reader's (ru or en),
// coded findings in both with their codes, free text marked with the language it was written in,
// measurements, accepted AI findings labelled as assistive with the model's identity, the signer,
// UTC times and the amendment reference. The font is the OFL Noto Sans SC subset shipped in
// assets/fonts (never a system font), embedded (subset) by pdfkit.
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import { AmurError } from '../common/errors.js';
import { t, type Language } from '../i18n/index.js';
import { formatMeasuredNumber } from '../measurements/format.js';
import type { ReportContent, ReportFinding } from './content.js';
import type { LanguageText, Measurement } from './draft.js';
import type { Code } from './template.js';

export const REPORT_FONT_PATH = fileURLToPath(new URL('../../assets/fonts/NotoSansSC-Regular-GB2312.ttf', import.meta.url));
/** The PostScript name pdfkit embeds (pdffonts shows it with a subset prefix). */
export const REPORT_FONT_NAME = 'NotoSansSC-Regular';

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 48;
const GAP = 16;
const CONTENT_W = A4.width - 2 * MARGIN;
const COL_W = (CONTENT_W - GAP) / 2;
const FOOTER_H = 40;
const GREY = '#555555';

export interface PdfOptions {
  /** The SR's SOP Instance UID, printed so that the PDF and the SR can be matched. */
  reportUID: string;
  /**
   * The signing certificate's subject and serial number, printed beside the radiologist's name so
   * that a reader can see whose key signed (a name in the report and in the certificate may be
   * written differently, e.g. in Cyrillic and in Latin letters).
   */
  signer?: { subject: string; serialNumber: string };
  /**
   * The preview the editor shows before signing: the same document, marked as not signed, with
   * the report UID said to come at signing (it is made then, with the SR it names).
   */
  preview?: boolean;
}

type Doc = InstanceType<typeof PDFDocument>;

function utc(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function dicomDate(da: string): string {
  return /^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : da;
}

/** Person Name for display: components joined by spaces, the groups (alphabetic=ideographic) kept apart. */
function personName(pn: string): string {
  return pn.split('=').filter(Boolean).map((g) => g.split('^').filter(Boolean).join(' ')).join(' / ');
}

function codeLine(codes: Code[]): string {
  return codes.map((c) => `${c.scheme} ${c.value} ${c.meaning}`).join(' · ');
}

class Writer {
  y = MARGIN;
  private readonly glyphs: { hasGlyphForCodePoint(cp: number): boolean };

  constructor(readonly doc: Doc, readonly langs: [Language, Language]) {
    doc.registerFont('report', REPORT_FONT_PATH);
    doc.font('report');
    this.glyphs = (doc as unknown as { _font: { font: { hasGlyphForCodePoint(cp: number): boolean } } })._font.font;
  }

  /** Refuses text the font cannot draw, instead of printing empty boxes in a signed report. */
  check(s: string): string {
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x20 && ch !== '\n' && ch !== '\t') continue;
      if (ch === '\n' || ch === '\t') continue;
      if (!this.glyphs.hasGlyphForCodePoint(cp)) {
        throw new AmurError('reports.glyphMissing', { char: ch, codepoint: cp.toString(16).toUpperCase().padStart(4, '0') });
      }
    }
    return s;
  }

  label(key: string, params: Record<string, unknown> = {}): [string, string] {
    return [t(key, params, this.langs[0]), t(key, params, this.langs[1])];
  }

  bi(key: string, params: Record<string, unknown> = {}): string {
    const [a, b] = this.label(key, params);
    return a === b ? a : `${a} / ${b}`;
  }

  room(h: number): void {
    if (this.y + h > A4.height - MARGIN - FOOTER_H) {
      this.doc.addPage();
      this.y = MARGIN;
    }
  }

  height(s: string, size: number, width: number): number {
    this.doc.fontSize(size);
    return this.doc.heightOfString(this.check(s), { width });
  }

  line(s: string, size = 10, color = 'black', indent = 0): void {
    const w = CONTENT_W - indent;
    const h = this.height(s, size, w);
    this.room(h);
    this.doc.fillColor(color).fontSize(size).text(s, MARGIN + indent, this.y, { width: w });
    this.y += h + 2;
  }

  /** One row, the partner's language on the left and the reader's on the right. */
  columns(left: string, right: string, size = 10, color = 'black'): void {
    const h = Math.max(this.height(left, size, COL_W), this.height(right, size, COL_W));
    this.room(h);
    this.doc.fillColor(color).fontSize(size);
    this.doc.text(left, MARGIN, this.y, { width: COL_W });
    this.doc.text(right, MARGIN + COL_W + GAP, this.y, { width: COL_W });
    this.y += h + 3;
  }

  heading(left: string, right: string): void {
    this.room(40);
    this.y += 8;
    this.columns(left, right, 12.5);
    this.doc.moveTo(MARGIN, this.y).lineTo(A4.width - MARGIN, this.y).lineWidth(0.5).strokeColor('#999999').stroke();
    this.y += 5;
  }

  keyValues(rows: [string, string][]): void {
    const keyW = 170;
    for (const [k, v] of rows) {
      const h = Math.max(this.height(k, 9, keyW), this.height(v || '—', 9.5, CONTENT_W - keyW - 8));
      this.room(h);
      this.doc.fillColor(GREY).fontSize(9).text(k, MARGIN, this.y, { width: keyW });
      this.doc.fillColor('black').fontSize(9.5).text(v || '—', MARGIN + keyW + 8, this.y, { width: CONTENT_W - keyW - 8 });
      this.y += h + 2;
    }
  }
}

function renderFinding(w: Writer, f: ReportFinding): void {
  const [a, b] = w.langs;
  w.columns(`• ${f.text[a]}`, `• ${f.text[b]}`, 10.5);
  const codes = f.code ? codeLine([f.code, ...f.equivalents]) : w.bi('reports.pdf.uncoded');
  w.line(`${w.bi('reports.pdf.codes')}: ${codes}`, 8, GREY, 10);
  if (f.ai) {
    const m = f.ai.model;
    w.line(`${w.bi('reports.pdf.aiAssistive')}`, 8.5, '#8a4b00', 10);
    const score = f.ai.score !== undefined ? `; ${w.bi('reports.pdf.aiScore')} ${f.ai.score.toFixed(2)}` : '';
    w.line(`${w.bi('reports.pdf.aiModel')}: ${m.name} ${m.version}, SHA-256 ${m.sha256}${score}`, 8, '#8a4b00', 10);
  }
}

function renderText(w: Writer, x: LanguageText): void {
  const language = w.label(`reports.language.${x.lang}`);
  const written = [t('reports.pdf.writtenIn', { language: language[0] }, w.langs[0]), t('reports.pdf.writtenIn', { language: language[1] }, w.langs[1])];
  w.line(`[${x.lang}] ${written[0]} / ${written[1]}`, 8, GREY);
  w.line(x.text, 10.5, 'black', 10);
}

function measurementText(w: Writer, m: Measurement, content: ReportContent): string {
  const values = m.values.map((v) => {
    const [a, b] = w.label(`reports.pdf.kind.${v.kind}`);
    const unit = v.unit === '1' ? '' : ` ${v.unit === 'mm2' ? 'mm²' : v.unit}`;
    // The viewer's rounding rule (core/measurements/format.ts), so the PDF prints the number on the screen.
    return `${a} / ${b}: ${formatMeasuredNumber(v.value, v.unit, w.langs[0])}${unit}`;
  }).join('; ');
  const series = content.study.series.find((s) => s.instances.some((i) => i.SOPInstanceUID === m.image.SOPInstanceUID));
  const frame = m.image.frame !== undefined ? ` #${m.image.frame}` : '';
  return `${m.label} — ${values}\n${w.bi('reports.pdf.image')}: ${series?.Modality ?? ''} ${m.image.SOPInstanceUID}${frame}`;
}

/** Renders the report PDF; the result is what the signing step signs (PAdES) and encapsulates. */
export async function renderReportPdf(content: ReportContent, options: PdfOptions): Promise<Buffer> {
  const [a, b] = content.shown;
  const title = `${content.template.title[a]} / ${content.template.title[b]}`;
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    autoFirstPage: true,
    pdfVersion: '1.7',
    lang: 'zh-CN',
    info: {
      Title: title,
      Author: personName(content.observer.name),
      Subject: `${t('reports.pdf.consultation', {}, 'en')} ${options.preview ? t('reports.pdf.preview', {}, 'en') : options.reportUID}`,
      Creator: 'Amur',
      Producer: 'Amur (pdfkit)',
      CreationDate: content.verifiedAt,
      ModDate: content.verifiedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const w = new Writer(doc, [a, b]);
  const s = content.study;
  w.columns(t('reports.pdf.consultation', {}, a), t('reports.pdf.consultation', {}, b), 17);
  w.columns(content.template.title[a], content.template.title[b], 13, GREY);
  if (options.preview) w.columns(t('reports.pdf.preview', {}, a), t('reports.pdf.preview', {}, b), 11, '#a00000');
  w.y += 6;
  w.keyValues([
    [w.bi('reports.pdf.patient'), personName(s.PatientName)],
    [w.bi('reports.pdf.patientId'), s.IssuerOfPatientID ? `${s.PatientID} (${s.IssuerOfPatientID})` : s.PatientID],
    [w.bi('reports.pdf.birthDate'), dicomDate(s.PatientBirthDate)],
    [w.bi('reports.pdf.sex'), s.PatientSex],
    [w.bi('reports.pdf.studyDate'), `${dicomDate(s.StudyDate)} ${s.StudyTime.slice(0, 2)}${s.StudyTime ? ':' : ''}${s.StudyTime.slice(2, 4)}`.trim()],
    [w.bi('reports.pdf.accession'), s.AccessionNumber],
    [w.bi('reports.pdf.studyDescription'), `${s.StudyDescription} (${[...new Set(s.series.map((x) => x.Modality))].join(', ')})`],
    [w.bi('reports.pdf.studyUid'), s.StudyInstanceUID],
    [w.bi('reports.pdf.reportUid'), options.preview ? w.bi('reports.pdf.previewUid') : options.reportUID],
  ]);
  if (content.predecessor) {
    w.y += 4;
    w.columns(t('reports.pdf.amends', { uid: content.predecessor.SOPInstanceUID }, a), t('reports.pdf.amends', { uid: content.predecessor.SOPInstanceUID }, b), 10, '#a00000');
  }

  for (const section of content.template.sections) {
    const texts = section.kind === 'impression' ? content.impression : content.sections.find((x) => x.section.id === section.id)?.texts ?? [];
    const isFindings = section.kind === 'findings';
    const any = texts.length > 0 || (isFindings && (content.findings.length > 0 || content.measurements.length > 0));
    if (!any) continue;
    w.heading(section.title[a], section.title[b]);
    if (isFindings) for (const f of content.findings) renderFinding(w, f);
    for (const x of texts) renderText(w, x);
    if (isFindings && content.measurements.length) {
      w.y += 4;
      w.line(w.bi('reports.pdf.measurements'), 10.5, GREY);
      for (const m of content.measurements) w.line(measurementText(w, m, content), 9.5, 'black', 10);
    }
  }

  // The signature block is never split over two pages: heading and its four rows move together.
  w.room(130);
  w.heading(t('reports.pdf.signer', {}, a), t('reports.pdf.signer', {}, b));
  w.keyValues([
    [w.bi('reports.pdf.signer'), personName(content.observer.name)],
    [w.bi('reports.pdf.organization'), content.observer.organization],
    [w.bi('reports.pdf.verifiedAt'), utc(content.verifiedAt)],
    ...(options.signer ? [[w.bi('reports.pdf.certificate'), `${options.signer.subject} (${options.signer.serialNumber})`] as [string, string]] : []),
  ]);

  // Footer on every page: the notice (a consultation opinion, not for the patient) and page numbers.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // The footer sits inside the bottom margin; without this pdfkit would start a new page for it.
    doc.page.margins.bottom = 0;
    const notice = `${t('reports.pdf.notice', {}, a)} ${t('reports.pdf.notice', {}, b)}`;
    const page = `${t('reports.pdf.page', { page: i + 1, pages: range.count }, a)} · ${t('reports.pdf.page', { page: i + 1, pages: range.count }, b)}`;
    const y = A4.height - MARGIN - FOOTER_H + 8;
    doc.fillColor(GREY).fontSize(7.5).text(w.check(notice), MARGIN, y, { width: CONTENT_W, lineBreak: true, height: 24 });
    doc.fontSize(7.5).text(w.check(page), MARGIN, y + 22, { width: CONTENT_W, align: 'right', lineBreak: false });
  }
  doc.end();
  return done;
}
