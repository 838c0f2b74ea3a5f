// Report templates: data files in assets/templates/, validated here on load, so that a broken
// template is refused with the file and the field named instead of producing a broken report.
// The types below are the template schema (assets/templates/README.md explains the fields).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AmurError } from '../common/errors.js';
import { LANGUAGES } from '../i18n/index.js';

export type { LangText, Code, TemplateFinding, SectionKind, TemplateSection, ReportTemplate } from '../contract/reports.js';
import type { LangText, Code, SectionKind, ReportTemplate, TemplateSection, TemplateFinding } from '../contract/reports.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../assets/templates/', import.meta.url));

const ID = /^[a-z0-9][a-z0-9-]*$/;
/** Coding schemes a template may use: PS3.16 designators, plus RadLex for later additions. */
const SCHEMES = new Set(['SCT', 'I10', 'DCM', 'LN', 'RADLEX']);

function fail(path: string, field: string): never {
  throw new AmurError('reports.templateInvalid', { path, field });
}

function checkText(v: unknown, path: string, field: string): LangText {
  if (!v || typeof v !== 'object') fail(path, field);
  for (const l of LANGUAGES) {
    const s = (v as Record<string, unknown>)[l];
    if (typeof s !== 'string' || !s.trim()) fail(path, `${field}.${l}`);
  }
  return v as LangText;
}

function checkCode(v: unknown, path: string, field: string): Code {
  const c = v as Code;
  if (!c || typeof c !== 'object') fail(path, field);
  // Code Value is SH (16 chars) and Code Meaning LO (64 chars) in DICOM.
  if (typeof c.value !== 'string' || !c.value || c.value.length > 16) fail(path, `${field}.value`);
  if (typeof c.scheme !== 'string' || !SCHEMES.has(c.scheme)) fail(path, `${field}.scheme`);
  if (typeof c.meaning !== 'string' || !c.meaning || c.meaning.length > 64) fail(path, `${field}.meaning`);
  return c;
}

/** Checks a parsed template; `path` names it in errors. */
export function validateTemplate(raw: unknown, path: string): ReportTemplate {
  const t = raw as ReportTemplate;
  if (!t || typeof t !== 'object') fail(path, '(root)');
  if (typeof t.id !== 'string' || !ID.test(t.id)) fail(path, 'id');
  if (typeof t.version !== 'string' || !t.version) fail(path, 'version');
  checkText(t.title, path, 'title');
  if (!Array.isArray(t.modalities) || t.modalities.some((m) => typeof m !== 'string')) fail(path, 'modalities');
  if (!Array.isArray(t.sections) || t.sections.length === 0) fail(path, 'sections');
  const sectionIds = new Set<string>();
  let findingsSections = 0;
  let impressionSections = 0;
  t.sections.forEach((s, i) => {
    const f = `sections[${i}]`;
    if (typeof s.id !== 'string' || !ID.test(s.id) || sectionIds.has(s.id)) fail(path, `${f}.id`);
    sectionIds.add(s.id);
    if (!['findings', 'text', 'impression'].includes(s.kind)) fail(path, `${f}.kind`);
    checkCode(s.heading, path, `${f}.heading`);
    if (s.heading.scheme !== 'DCM') fail(path, `${f}.heading.scheme`);
    checkText(s.title, path, `${f}.title`);
    if (s.kind === 'findings') {
      findingsSections++;
      if (!Array.isArray(s.findings) || s.findings.length === 0) fail(path, `${f}.findings`);
      const ids = new Set<string>();
      s.findings.forEach((x, j) => {
        const g = `${f}.findings[${j}]`;
        if (typeof x.id !== 'string' || !ID.test(x.id) || ids.has(x.id)) fail(path, `${g}.id`);
        ids.add(x.id);
        if (!Array.isArray(x.codes)) fail(path, `${g}.codes`);
        x.codes.forEach((c, k) => checkCode(c, path, `${g}.codes[${k}]`));
        checkText(x.text, path, `${g}.text`);
      });
      // Checked once every id of the list is known: an exclusion may name a finding listed after it.
      s.findings.forEach((x, j) => {
        const g = `${f}.findings[${j}].excludes`;
        if (x.excludes === undefined) return;
        if (!Array.isArray(x.excludes) || x.excludes.length === 0) fail(path, g);
        x.excludes.forEach((e, k) => {
          if (typeof e !== 'string' || e === x.id || (e !== '*' && !ids.has(e))) fail(path, `${g}[${k}]`);
        });
      });
    } else if (s.findings !== undefined) {
      fail(path, `${f}.findings`);
    }
    if (s.kind === 'impression') impressionSections++;
  });
  // The SR and the PDF place pick-list findings, measurements and AI findings in the one
  // findings section and the impression in one section; a template must say where those are.
  if (findingsSections !== 1) fail(path, 'sections(findings)');
  if (impressionSections !== 1) fail(path, 'sections(impression)');
  return t;
}

const cache = new Map<string, ReportTemplate>();

/** The template with this id, from assets/templates/<id>.json. */
export function loadTemplate(id: string, dir = TEMPLATES_DIR): ReportTemplate {
  const key = `${dir}\0${id}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (!ID.test(id)) throw new AmurError('reports.templateNotFound', { template: id });
  const path = `${dir}${dir.endsWith('/') ? '' : '/'}${id}.json`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new AmurError('reports.templateNotFound', { template: id });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail(path, '(json)');
  }
  const t = validateTemplate(raw, path);
  if (t.id !== id) fail(path, 'id');
  cache.set(key, t);
  return t;
}

export function listTemplates(dir = TEMPLATES_DIR): ReportTemplate[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => loadTemplate(n.slice(0, -5), dir));
}

/** The template that suits a study: first whose modality matches, preferring a body-part hint. */
export function templateForStudy(modalities: string[], hint = ''): ReportTemplate {
  const all = listTemplates();
  const h = hint.toLowerCase();
  const byModality = all.filter((t) => t.modalities.some((m) => modalities.includes(m)));
  const byHint = byModality.find((t) => {
    if (/head|brain|skull|головн|头|脑/.test(h)) return t.id.endsWith('head') || t.id.endsWith('brain');
    if (/chest|thorax|lung|груд|胸|肺/.test(h)) return t.id.endsWith('chest') || t.id === 'cxr';
    return false;
  });
  const t = byHint ?? byModality[0];
  if (!t) throw new AmurError('reports.noTemplateForStudy', { modalities: modalities.join('\\') || '-' });
  return t;
}

export function sectionOfKind(t: ReportTemplate, kind: SectionKind): TemplateSection {
  return t.sections.find((s) => s.kind === kind)!;
}

export function findingById(t: ReportTemplate, id: string): TemplateFinding | undefined {
  return sectionOfKind(t, 'findings').findings!.find((f) => f.id === id);
}

/**
 * Whether two findings of the template's pick list cannot be reported together: either one's
 * `excludes` names the other, or says "*" (every other finding of the list).
 */
export function findingsExclude(t: ReportTemplate, a: string, b: string): boolean {
  if (a === b) return false;
  const names = (id: string, other: string) => {
    const ex = findingById(t, id)?.excludes;
    return !!ex && (ex.includes('*') || ex.includes(other));
  };
  return names(a, b) || names(b, a);
}
