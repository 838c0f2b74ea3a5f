// What a radiologist would never sign, found all at once: a report that says nothing, findings the
// template says exclude each other ("no abnormality" with a positive finding), AI proposals left
// undecided, free text whose language tag contradicts its script, and a signing certificate that
// names no person or no organisation (the reader the signed report names comes from it). The CLI,
// the report service (and through the contract the editor) and signing itself use this one list,
// so what the editor shows next to the Sign button is exactly why signing would refuse.
import { AmurError } from '../common/errors.js';
import type { DraftProblem, LangText, ReportDraft, ReportLanguage } from '../contract/reports.js';
import { LANGUAGES, t } from '../i18n/index.js';
import type { CertificateObserver } from '../signing/index.js';
import { languageMismatch } from './script.js';
import { findingById, findingsExclude, sectionOfKind, type ReportTemplate } from './template.js';

export type { DraftProblem } from '../contract/reports.js';

/** CID 7001 History: what the referrer says about the patient is not the radiologist's report. */
const HISTORY_HEADING = '121060';

type Param = { kind: 'finding' | 'section' | 'language'; value: string } | string | number;

function problem(template: ReportTemplate, code: string, field: string, params: Record<string, Param>): DraftProblem {
  const plain: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params)) plain[k] = typeof v === 'object' ? v.value : v;
  const message = {} as LangText;
  for (const lang of LANGUAGES) {
    // Findings by their label and sections by their title in the reader's language, never by id.
    const shown: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(params)) {
      if (typeof v !== 'object') shown[k] = v;
      else if (v.kind === 'finding') shown[k] = findingById(template, v.value)?.text[lang] ?? v.value;
      else if (v.kind === 'section') shown[k] = template.sections.find((s) => s.id === v.value)?.title[lang] ?? v.value;
      else shown[k] = t(`reports.language.${v.value}`, {}, lang);
    }
    message[lang] = t(`errors.${code}`, shown, lang);
  }
  return { code, field, params: plain, message };
}

const finding = (value: string) => ({ kind: 'finding', value }) as const;
const section = (value: string) => ({ kind: 'section', value }) as const;
const language = (value: string) => ({ kind: 'language', value }) as const;

/**
 * Every reason `d` could not be signed, in the order the editor shows the fields. `signer` is the
 * certificate's observer when the signer is known (its lacks are problems too). The draft must
 * already fit its template (validateDraft in draft.ts).
 */
export function draftProblems(d: ReportDraft, template: ReportTemplate, signer?: CertificateObserver): DraftProblem[] {
  const out: DraftProblem[] = [];
  if (signer && !signer.name) out.push(problem(template, 'reports.problem.signerNoName', 'signer', { subject: signer.subject }));
  // Verifying Organization is Type 1 in the SR: a signed opinion says which organisation gives it.
  if (signer && !signer.organization) out.push(problem(template, 'reports.problem.signerNoOrganization', 'signer', { subject: signer.subject }));

  // The findings the report would state: picked ones, then accepted AI proposals (one per concept).
  const stated: { id: string; field: string }[] = [];
  d.findings.forEach((f, i) => {
    if (!stated.some((s) => s.id === f.id)) stated.push({ id: f.id, field: `findings[${i}]` });
  });
  d.aiFindings.forEach((a, i) => {
    if (a.status === 'proposed') out.push(problem(template, 'reports.problem.aiUndecided', `aiFindings[${i}]`, { finding: finding(a.findingId) }));
    if (a.status === 'accepted' && !stated.some((s) => s.id === a.findingId)) stated.push({ id: a.findingId, field: `aiFindings[${i}]` });
  });
  for (let j = 1; j < stated.length; j++) {
    for (let i = 0; i < j; i++) {
      if (findingsExclude(template, stated[i]!.id, stated[j]!.id)) {
        out.push(problem(template, 'reports.problem.contradictory', stated[j]!.field, { finding: finding(stated[i]!.id), other: finding(stated[j]!.id) }));
      }
    }
  }

  const reportText = d.texts.some((x) => x.text.trim() && template.sections.find((s) => s.id === x.section)?.heading.value !== HISTORY_HEADING);
  const impression = d.impression.some((x) => x.text.trim());
  if (stated.length === 0 && !reportText && !impression) out.push(problem(template, 'reports.problem.empty', 'findings', {}));

  const impressionSection = sectionOfKind(template, 'impression').id;
  const checkLanguage = (text: string, tagged: ReportLanguage, sectionId: string, field: string) => {
    const detected = languageMismatch(text, tagged);
    if (detected) {
      out.push(problem(template, 'reports.problem.languageMismatch', field,
        { section: section(sectionId), tagged: language(tagged), detected: language(detected) }));
    }
  };
  d.texts.forEach((x, i) => checkLanguage(x.text, x.lang, x.section, `texts[${i}].lang`));
  d.impression.forEach((x, i) => checkLanguage(x.text, x.lang, impressionSection, `impression[${i}].lang`));
  return out;
}

/**
 * A refusal to sign with every reason. Its params carry the reasons already translated (one
 * parameter per language, joined one per line), so that the one generic error path of the CLI
 * and of the UI shows them all without knowing this error; `problems` keeps them as data.
 */
export class ReportNotSignable extends AmurError {
  constructor(readonly problems: DraftProblem[], path: string) {
    const lines = (lang: ReportLanguage) => problems.map((p) => `\n  – ${p.message[lang]}`).join('');
    super('reports.notSignable', { path, count: problems.length, reasonsEn: lines('en'), reasonsRu: lines('ru'), reasonsZh: lines('zh-CN') });
  }
}

/** Refuses, with every reason at once, a draft that `draftProblems` finds anything wrong with. */
export function assertSignable(d: ReportDraft, template: ReportTemplate, signer: CertificateObserver, path: string): void {
  const problems = draftProblems(d, template, signer);
  if (problems.length) throw new ReportNotSignable(problems, path);
}

/** A text re-tagged with the language of its script (`amur report sign --retag`). */
export interface Retag {
  field: string;
  section: string;
  from: ReportLanguage;
  to: ReportLanguage;
}

/**
 * The draft with every text whose tag contradicts its script tagged with the language it is
 * written in; only when the user asked for it, and each change is reported back.
 */
export function retagLanguages(d: ReportDraft, template: ReportTemplate): { draft: ReportDraft; retagged: Retag[] } {
  const retagged: Retag[] = [];
  const impressionSection = sectionOfKind(template, 'impression').id;
  const texts = d.texts.map((x, i) => {
    const to = languageMismatch(x.text, x.lang);
    if (!to) return x;
    retagged.push({ field: `texts[${i}].lang`, section: x.section, from: x.lang, to });
    return { ...x, lang: to };
  });
  const impression = d.impression.map((x, i) => {
    const to = languageMismatch(x.text, x.lang);
    if (!to) return x;
    retagged.push({ field: `impression[${i}].lang`, section: impressionSection, from: x.lang, to });
    return { ...x, lang: to };
  });
  return { draft: { ...d, texts, impression }, retagged };
}
