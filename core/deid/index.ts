// De-identification (PS3.15 Annex E) and the hospital's re-identification map. See README.md.
import { deidentify, peekPatient, type DeidContext, type DeidResult } from './deidentify.js';
import type { DeidOption } from './profile.js';
import type { ReidMap } from './reid-map.js';

export { deidentify, peekPatient, type DeidContext, type DeidResult, type OriginalIdentity } from './deidentify.js';
export { ReidMap, randomUid, type Pseudonym } from './reid-map.js';
export { actionFor, rowFor, profileRows, DEFAULT_OPTIONS, SUPPORTED_OPTIONS, OPTIONS, OPTION_NAMES, type Action, type DeidOption, type ProfileRow } from './profile.js';

export interface AgreementDeidOptions {
  /** Option names as in annex-e.tsv (an agreement's deidentification.options). */
  options?: readonly string[];
  allowBurnedIn?: boolean;
  /** Extra attributes, by keyword; a function receives the pseudonymous Patient ID (the subject). */
  add?: Record<string, string> | ((subjectId: string) => Record<string, string>);
}

/** The context for deidentify under an agreement: UIDs, pseudonym and date offset from the map. */
export function contextFor(
  map: ReidMap,
  agreementId: string,
  header: { PatientID?: string; IssuerOfPatientID?: string },
  options: AgreementDeidOptions = {},
): DeidContext {
  const p = map.pseudonym(agreementId, header.PatientID ?? '', header.IssuerOfPatientID ?? '');
  const add = typeof options.add === 'function' ? options.add(p.PatientID) : options.add;
  return {
    options: options.options as readonly DeidOption[] | undefined,
    uid: (original) => map.uid(agreementId, original),
    pseudonym: { PatientName: p.PatientName, PatientID: p.PatientID },
    dateOffsetDays: p.dateOffsetDays,
    allowBurnedIn: options.allowBurnedIn,
    add,
  };
}

/**
 * De-identifies one instance under an agreement and records, before anything leaves, the original
 * identity of its study for re-identification.
 */
export function deidentifyForAgreement(map: ReidMap, agreementId: string, bytes: Uint8Array, options: AgreementDeidOptions = {}): DeidResult {
  const ctx = contextFor(map, agreementId, peekPatient(bytes), options);
  const r = deidentify(bytes, ctx);
  map.recordStudy(agreementId, r.StudyInstanceUID, r.original);
  return r;
}
