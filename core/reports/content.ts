// What a signed report says, resolved once from a draft and its template, so that the SR and the
// PDF cannot disagree: the findings with their codes and texts in every language, the free texts,
// the measurements, the accepted AI findings with their model, the observer and the times.
import type { Language } from '../i18n/index.js';
import type { LanguageText, Measurement, ModelIdentity, Observer, PredecessorReference, ReportDraft, StudyReference } from './draft.js';
import { findingById, type Code, type LangText, type ReportTemplate, type TemplateSection } from './template.js';

export interface ReportFinding {
  /** Template finding id. */
  id: string;
  /** The recorded concept (the template's first code); undefined for an uncoded finding. */
  code?: Code;
  equivalents: Code[];
  text: LangText;
  /** Set when the finding was proposed by an AI model and accepted by the radiologist. */
  ai?: { model: ModelIdentity; score?: number };
}

export interface ReportSectionText {
  section: TemplateSection;
  texts: LanguageText[];
}

export interface ReportContent {
  template: ReportTemplate;
  study: StudyReference;
  languages: { partner: 'zh-CN'; reader: 'ru' | 'en' };
  /** The two languages the report is shown in, partner first. */
  shown: [Language, Language];
  findings: ReportFinding[];
  /** Free text per section (only sections with text), in template order; the impression is separate. */
  sections: ReportSectionText[];
  impression: LanguageText[];
  measurements: Measurement[];
  observer: Observer;
  predecessor?: PredecessorReference;
  /** When the report was verified (signed), UTC. */
  verifiedAt: Date;
}

export function resolveReport(draft: ReportDraft, template: ReportTemplate, verifiedAt: Date): ReportContent {
  const findings: ReportFinding[] = [];
  const add = (id: string, ai?: ReportFinding['ai']): void => {
    const existing = findings.find((f) => f.id === id);
    if (existing) {
      // Picked by hand and proposed by the AI: one finding, and the AI's part stays visible.
      if (ai && !existing.ai) existing.ai = ai;
      return;
    }
    const f = findingById(template, id)!;
    findings.push({
      id,
      code: f.codes[0],
      equivalents: f.codes.slice(1),
      text: f.text,
      ai,
    });
  };
  for (const f of draft.findings) add(f.id);
  for (const a of draft.aiFindings) if (a.status === 'accepted') add(a.findingId, { model: a.model, score: a.score });

  const clean = (xs: LanguageText[]): LanguageText[] => xs.filter((t) => t.text.trim()).map((t) => ({ lang: t.lang, text: t.text.trim() }));
  const sections: ReportSectionText[] = [];
  for (const s of template.sections) {
    if (s.kind === 'impression') continue;
    const texts = clean(draft.texts.filter((t) => t.section === s.id));
    if (texts.length) sections.push({ section: s, texts });
  }
  return {
    template,
    study: draft.study,
    languages: draft.languages,
    shown: [draft.languages.partner, draft.languages.reader],
    findings,
    sections,
    impression: clean(draft.impression),
    measurements: draft.measurements,
    observer: draft.observer,
    predecessor: draft.predecessor,
    verifiedAt,
  };
}

/** DICOM DA and TM of a UTC instant (the objects also say TimezoneOffsetFromUTC +0000). */
export function dicomDateTime(d: Date): { date: string; time: string; dateTime: string } {
  const iso = d.toISOString(); // 2026-11-22T14:05:09.123Z
  const date = iso.slice(0, 10).replace(/-/g, '');
  const time = iso.slice(11, 23).replace(/:/g, '');
  return { date, time, dateTime: `${date}${time}+0000` };
}
