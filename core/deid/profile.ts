// PS3.15 Table E.1-1 as data (annex-e.tsv beside this file), loaded once, and the resolution of
// the action for one attribute given the options in force.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The options of PS3.15 E.3 (column names of annex-e.tsv), with their CID 7050 codes. */
export const OPTIONS = {
  RetainSafePrivate: { code: '113111', meaning: 'Retain Safe Private Option' },
  RetainUIDs: { code: '113110', meaning: 'Retain UIDs Option' },
  RetainDeviceIdentity: { code: '113109', meaning: 'Retain Device Identity Option' },
  RetainInstitutionIdentity: { code: '113112', meaning: 'Retain Institution Identity Option' },
  RetainPatientCharacteristics: { code: '113108', meaning: 'Retain Patient Characteristics Option' },
  RetainLongitudinalFullDates: { code: '113106', meaning: 'Retain Longitudinal Temporal Information Full Dates Option' },
  RetainLongitudinalModifiedDates: { code: '113107', meaning: 'Retain Longitudinal Temporal Information Modified Dates Option' },
  CleanDescriptors: { code: '113105', meaning: 'Clean Descriptors Option' },
  CleanStructuredContent: { code: '113104', meaning: 'Clean Structured Content Option' },
  CleanGraphics: { code: '113103', meaning: 'Clean Graphics Option' },
} as const;
export type DeidOption = keyof typeof OPTIONS;
export const OPTION_NAMES = Object.keys(OPTIONS) as DeidOption[];

/** What this implementation supports; the others are refused by deidentify (not silently ignored). */
export const SUPPORTED_OPTIONS: readonly DeidOption[] = ['RetainPatientCharacteristics', 'RetainLongitudinalModifiedDates', 'CleanDescriptors', 'RetainUIDs', 'RetainDeviceIdentity', 'RetainInstitutionIdentity', 'RetainLongitudinalFullDates'];
export const DEFAULT_OPTIONS: readonly DeidOption[] = ['RetainPatientCharacteristics', 'RetainLongitudinalModifiedDates', 'CleanDescriptors'];

export type BasicAction = 'X' | 'Z' | 'D' | 'U' | 'K' | 'C' | 'X/Z' | 'X/D' | 'Z/D' | 'X/Z/D' | 'X/Z/U*';
/** The single action applied here: conditional actions resolve to the conformant choice (see README). */
export type Action = 'X' | 'Z' | 'D' | 'U' | 'K' | 'C' | 'U*';

export interface ProfileRow {
  tag: string; // as in the table: "0010,0010", "50xx,xxxx", "gggg,eeee"
  name: string;
  basic: BasicAction;
  options: Partial<Record<DeidOption, string>>;
}

let rows: ProfileRow[] | undefined;
let exact: Map<string, ProfileRow> | undefined;
let ranges: { re: RegExp; row: ProfileRow }[] | undefined;

export function profileRows(): ProfileRow[] {
  if (!rows) {
    const text = readFileSync(fileURLToPath(new URL('./annex-e.tsv', import.meta.url)), 'utf8');
    const [header, ...lines] = text.split('\n').filter((l) => l.trim() !== '');
    const cols = header!.split('\t');
    rows = lines.map((l) => {
      const f = l.split('\t');
      const options: Partial<Record<DeidOption, string>> = {};
      for (let i = 3; i < cols.length; i++) if (f[i]) options[cols[i] as DeidOption] = f[i];
      return { tag: f[0]!, name: f[1]!, basic: f[2] as BasicAction, options };
    });
    exact = new Map();
    ranges = [];
    for (const r of rows) {
      if (r.tag === 'gggg,eeee') continue;
      const t = r.tag.replace(',', '').toUpperCase();
      if (t.includes('X')) ranges.push({ re: new RegExp(`^${t.replace(/X/g, '[0-9A-F]')}$`), row: r });
      else exact.set(t, r);
    }
  }
  return rows;
}

/** The table row for a tag "GGGGEEEE" (hex, any case): exact rows first, then x-ranges, then private. */
export function rowFor(tag: string): ProfileRow | undefined {
  profileRows();
  const t = tag.toUpperCase();
  const hit = exact!.get(t) ?? ranges!.find((r) => r.re.test(t))?.row;
  if (hit) return hit;
  if (isPrivateTag(t)) return rows!.find((r) => r.tag === 'gggg,eeee');
  return undefined;
}

export function isPrivateTag(tag: string): boolean {
  return (parseInt(tag.slice(0, 4), 16) & 1) === 1;
}

const CONFORMANT: Record<BasicAction, Action> = {
  X: 'X', Z: 'Z', D: 'D', U: 'U', K: 'K', C: 'C',
  // The choice that keeps the IOD valid without knowing its type: an empty value for X/Z, a dummy
  // for X/D, Z/D and X/Z/D, the sequence kept with its UIDs replaced for X/Z/U*.
  'X/Z': 'Z', 'X/D': 'D', 'Z/D': 'D', 'X/Z/D': 'D', 'X/Z/U*': 'U*',
};
const PRIORITY = ['K', 'C', 'D', 'U', 'Z', 'X'];

/** The action for a tag under the options; undefined when the table does not list it (kept). */
export function actionFor(tag: string, options: readonly DeidOption[]): Action | undefined {
  const row = rowFor(tag);
  if (!row) return undefined;
  const fromOptions = options.map((o) => row.options[o]).filter((a): a is string => !!a);
  if (fromOptions.length) {
    fromOptions.sort((a, b) => PRIORITY.indexOf(a) - PRIORITY.indexOf(b));
    return fromOptions[0] as Action;
  }
  return CONFORMANT[row.basic];
}
