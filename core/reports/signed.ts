// The signed reports the workstation keeps: AMUR_HOME/reports/signed/<SR SOPInstanceUID>/ holds
// report-sr.dcm, report-pdf.dcm, report.pdf (and the SM2 package), and
// AMUR_HOME/reports/sources/<SR SOPInstanceUID>.draft the draft each was signed from (an amendment
// starts from it). They name the patient, so every file is sealed under its study's key
// (study-file.ts): a signed report's files with "signed:<SR UID>:<file name>" bound in, a source
// with "source:<SR UID>". What the user signs into a folder of their own (`amur report sign
// --out DIR`) is theirs, and stays as it was written.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { replaceFile } from '../common/fs.js';
import { AmurError, isAmurError } from '../common/errors.js';
import type { SignedReportSummary } from '../contract/reports.js';
import { readPart10 } from './dcmjs.js';
import { validateDraft, type ReportDraft } from './draft.js';
import { signedReportsDir } from './drafts.js';
import { REPORT_FILES, type SealSignedFile } from './sign.js';
import { isStudyFile, readKept, signedFileContext, STUDY_FILE_MAGIC, StudyFiles, type StudyKeys } from './study-file.js';

const UID = /^[0-9]+(\.[0-9]+)*$/;
/** A file of a report's folder, as signing names them (no path, no hidden name). */
const FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SOURCE_EXT = '.draft';
/** A source an earlier version wrote in clear, sealed by the first SignedReports opened on the home. */
const CLEAR_SOURCE_EXT = '.json';
/** In AMUR_HOME/reports: every signed report and source there is sealed. */
const SEALED_MARKER = '.sealed';

export function sourceContext(srInstanceUID: string): string {
  return `source:${srInstanceUID}`;
}

export class SignedReports {
  readonly dir: string;
  readonly sourcesDir: string;
  private readonly files: StudyFiles;

  constructor(store: StudyKeys) {
    this.dir = signedReportsDir(store.home);
    this.sourcesDir = join(store.home, 'reports', 'sources');
    this.files = new StudyFiles(store);
    this.sealLeftInClear();
  }

  /** How signDraftInto writes a report of this study that is kept here. */
  sealer(StudyInstanceUID: string): SealSignedFile {
    return (file, bytes, sr) => this.files.seal(StudyInstanceUID, signedFileContext(sr, file), bytes);
  }

  /** The folder of a kept report; 'reports.signedNotFound' when there is none. */
  folder(srInstanceUID: string): string {
    const dir = join(this.dir, srInstanceUID);
    if (!UID.test(srInstanceUID) || !existsSync(join(dir, REPORT_FILES.sr))) throw new AmurError('reports.signedNotFound', { report: srInstanceUID });
    return dir;
  }

  /** The SR UIDs of the kept reports (complete folders only: a pending one is hidden). */
  list(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((n) => UID.test(n));
  }

  /** The plaintext of one file of a kept report, with the study it belongs to. */
  read(srInstanceUID: string, file: string): { StudyInstanceUID: string; bytes: Buffer } {
    const dir = this.folder(srInstanceUID);
    if (!FILE.test(file) || !existsSync(join(dir, file))) throw new AmurError('reports.signedFileNotFound', { report: srInstanceUID, file });
    const { StudyInstanceUID, plain } = this.files.read(join(dir, file), signedFileContext(srInstanceUID, file));
    return { StudyInstanceUID, bytes: plain };
  }

  /** The study a kept report belongs to, from its SR's locator (nothing else is opened). */
  studyOf(srInstanceUID: string): string {
    const path = join(this.folder(srInstanceUID), REPORT_FILES.sr);
    return this.files.studyOf(readKept(path), signedFileContext(srInstanceUID, REPORT_FILES.sr), path);
  }

  /** The file names of a kept report. */
  fileNames(srInstanceUID: string): string[] {
    return readdirSync(this.folder(srInstanceUID)).filter((f) => FILE.test(f)).sort();
  }

  /** What the UI lists of a kept report; undefined when it cannot be read (its study's key shredded, damage). */
  summary(srInstanceUID: string): SignedReportSummary | undefined {
    try {
      const { dataset: ds } = readPart10(this.read(srInstanceUID, REPORT_FILES.sr).bytes, { untilTag: '7FE00010' });
      const pred = ds.PredecessorDocumentsSequence?.[0]?.ReferencedSeriesSequence?.[0]?.ReferencedSOPSequence?.[0];
      const vdt = String(ds.VerifyingObserverSequence?.[0]?.VerificationDateTime ?? '').trim();
      const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(vdt);
      return {
        StudyInstanceUID: String(ds.StudyInstanceUID),
        SOPInstanceUID: String(ds.SOPInstanceUID),
        dir: join(this.dir, srInstanceUID),
        files: this.fileNames(srInstanceUID),
        verifiedAt: m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : '',
        ...(pred ? { predecessor: String(pred.ReferencedSOPInstanceUID) } : {}),
      };
    } catch {
      return undefined;
    }
  }

  /** Keeps the draft a report was signed from, sealed; an amendment starts from it. */
  keepSource(srInstanceUID: string, draft: ReportDraft): void {
    mkdirSync(this.sourcesDir, { recursive: true });
    const plain = Buffer.from(JSON.stringify(draft), 'utf8');
    replaceFile(join(this.sourcesDir, `${srInstanceUID}${SOURCE_EXT}`), this.files.seal(draft.study.StudyInstanceUID, sourceContext(srInstanceUID), plain));
  }

  /** The draft a kept report was signed from, when it is there and opens. */
  source(srInstanceUID: string): ReportDraft | undefined {
    if (!UID.test(srInstanceUID)) return undefined;
    try {
      const { plain } = this.files.read(join(this.sourcesDir, `${srInstanceUID}${SOURCE_EXT}`), sourceContext(srInstanceUID));
      return validateDraft(JSON.parse(plain.toString('utf8')), srInstanceUID).draft;
    } catch {
      return undefined;
    }
  }

  /** Removes a kept report and its source (a purge). */
  remove(srInstanceUID: string): void {
    if (!UID.test(srInstanceUID)) return;
    rmSync(join(this.dir, srInstanceUID), { recursive: true, force: true });
    for (const ext of [SOURCE_EXT, CLEAR_SOURCE_EXT]) rmSync(join(this.sourcesDir, `${srInstanceUID}${ext}`), { force: true });
  }

  /**
   * Seals what an earlier version kept in clear, file by file (each replaced by rename, so a crash
   * leaves every file whole, clear or sealed, and the next open goes on): the files of each signed
   * report, its SR last (the others learn their study from it), and the sources.
   */
  private sealLeftInClear(): void {
    // Once everything is sealed, no clear file can appear again: the marker saves reading every
    // file's first bytes at each open.
    const done = join(this.dir, '..', SEALED_MARKER);
    if (existsSync(done)) return;
    for (const sr of this.list()) {
      const dir = join(this.dir, sr);
      const names = readdirSync(dir).filter((f) => FILE.test(f));
      const clear = names.filter((f) => !startsAsStudyFile(join(dir, f)));
      if (!clear.length) continue;
      const study = this.studyOfFolder(sr);
      if (!study) continue;
      for (const f of clear.sort((a, b) => Number(a === REPORT_FILES.sr) - Number(b === REPORT_FILES.sr))) {
        const path = join(dir, f);
        replaceFile(path, this.files.seal(study, signedFileContext(sr, f), readFileSync(path)));
      }
    }
    for (const name of existsSync(this.sourcesDir) ? readdirSync(this.sourcesDir) : []) {
      const sr = name.slice(0, -CLEAR_SOURCE_EXT.length);
      if (!name.endsWith(CLEAR_SOURCE_EXT) || !UID.test(sr)) continue;
      const clear = join(this.sourcesDir, name);
      try {
        if (!existsSync(join(this.sourcesDir, `${sr}${SOURCE_EXT}`))) this.keepSource(sr, JSON.parse(readFileSync(clear, 'utf8')) as ReportDraft);
        rmSync(clear, { force: true });
      } catch (e) {
        // Not a draft: left alone (an amendment then starts empty, as it would without it).
        if (isAmurError(e)) throw e;
      }
    }
    mkdirSync(dirname(done), { recursive: true });
    writeFileSync(done, '');
  }

  /** The study of a report's folder, from its SR as it is now (clear or already sealed). */
  private studyOfFolder(sr: string): string | undefined {
    const path = join(this.dir, sr, REPORT_FILES.sr);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return undefined;
    }
    if (isStudyFile(bytes)) return this.files.studyOf(bytes, signedFileContext(sr, REPORT_FILES.sr), path);
    try {
      return String(readPart10(bytes, { untilTag: '7FE00010' }).dataset.StudyInstanceUID ?? '') || undefined;
    } catch {
      return undefined;
    }
  }
}

/** Whether a file starts as a study file does, read from its first bytes only (a PDF may be large). */
function startsAsStudyFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(STUDY_FILE_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && isStudyFile(head);
  } finally {
    closeSync(fd);
  }
}
