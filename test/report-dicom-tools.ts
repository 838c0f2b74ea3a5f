// The referee tools the report tests run: dciodvfy (dicom3tools) and dsrdump (dcmtk). dciodvfy
// warnings are sorted into those the report controls (must be none) and those it cannot, each
// with the reason, so that a new warning fails the test instead of being waved through.
import { spawnSync } from 'node:child_process';

export interface Dciodvfy {
  iod: string;
  errors: string[];
  /** Warnings not explained below: a test expects none. */
  unexplained: string[];
  explained: string[];
}

/**
 * Warnings about values the report must copy as they are, or about dciodvfy's own tables:
 * - The Patient's Name is copied verbatim from the study (PS3.3 C.7.1.1 requires the SR and the
 *   Encapsulated PDF to carry the study's patient): a one-component name such as "HEAD" is what the
 *   source says, and dciodvfy calls that form "retired".
 * - Study Date, Study Time and Study ID are copied too; when the source study has none (the
 *   de-identified GE series), the copy is empty and dciodvfy notes that a DICOMDIR would miss them.
 * - MAC Algorithm "SHA256" is a defined term of PS3.3 C.12.1.1.3.1.1 that the installed
 *   dicom3tools' table does not list yet (dcmsign itself writes and verifies it).
 */
const EXPLAINED = [
  /^Warning - Value dubious for this VR - \(0x0010,0x0010\) PN Patient's Name .* - Retired Person Name form$/,
  /^Warning - Missing attribute or value that would be needed to build DICOMDIR - Study (Date|Time|ID)$/,
  /^Warning - Unrecognized defined term <SHA256> for value 1 of attribute <MAC Algorithm>$/,
];

export function dciodvfy(file: string): Dciodvfy {
  const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  const lines = `${r.stdout}${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const out: Dciodvfy = { iod: '', errors: [], unexplained: [], explained: [] };
  for (const l of lines) {
    if (l.startsWith('Error')) out.errors.push(l);
    else if (l.startsWith('Warning')) (EXPLAINED.some((re) => re.test(l)) ? out.explained : out.unexplained).push(l);
    else if (!out.iod && /^[A-Za-z]+$/.test(l)) out.iod = l;
    else out.unexplained.push(l);
  }
  return out;
}

export function dsrdump(file: string): { status: number | null; out: string } {
  const r = spawnSync('dsrdump', ['+Pl', '+Pc', '+U8', file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
