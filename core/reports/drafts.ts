// Where drafts live while the radiologist works: AMUR_HOME/reports/drafts/<draftId>.draft, one file
// per draft, replaced atomically on every save (write a temp file, fsync, rename, fsync the folder),
// so that a crash at any moment leaves either the previous or the new version, never half of one:
// nothing typed and saved is lost. A draft names the patient, so each file is sealed under its
// study's key (study-file.ts, context "draft:<draftId>"): purging the study leaves it unreadable.
// Signed reports go to AMUR_HOME/reports/signed/<SR UID>/.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, replaceFile } from '../common/fs.js';
import { AmurError, isAmurError } from '../common/errors.js';
import { validateDraft, type ReportDraft } from './draft.js';
import { readKept, StudyFiles, type StudyKeys } from './study-file.js';

export type { DraftSummary } from '../contract/reports.js';
import type { DraftSummary } from '../contract/reports.js';

const ID = /^[0-9a-f-]{36}$/;
const EXT = '.draft';
/** The clear JSON an earlier version saved, sealed by the first DraftStore opened on the home. */
const CLEAR_EXT = '.json';

type StoredDraft = ReportDraft & { savedAt?: string };

export function draftContext(draftId: string): string {
  return `draft:${draftId}`;
}

export class DraftStore {
  readonly dir: string;
  private readonly files: StudyFiles;

  /** The drafts of the store's home; the home must be unlocked (the drafts are sealed under its studies' keys). */
  constructor(store: StudyKeys) {
    this.dir = join(store.home, 'reports', 'drafts');
    this.files = new StudyFiles(store);
    mkdirSync(this.dir, { recursive: true });
    this.sealLeftInClear();
  }

  private file(draftId: string): string {
    if (!ID.test(draftId)) throw new AmurError('reports.draftNotFound', { draft: draftId });
    return join(this.dir, `${draftId}${EXT}`);
  }

  /** Validates and saves a draft, replacing its previous version atomically. */
  save(draft: ReportDraft): DraftSummary {
    const path = this.file(draft.draftId);
    validateDraft(draft, path);
    const stored: StoredDraft = { ...draft, savedAt: new Date().toISOString() };
    this.write(path, stored);
    return summary(stored);
  }

  private write(path: string, d: StoredDraft): void {
    const sealed = this.files.seal(d.study.StudyInstanceUID, draftContext(d.draftId), Buffer.from(`${JSON.stringify(d, null, 2)}\n`, 'utf8'));
    try {
      replaceFile(path, sealed, { durable: true });
    } catch (e) {
      throw new AmurError('reports.draftUnwritable', { path, detail: (e as Error).message }, { cause: e });
    }
  }

  load(draftId: string): ReportDraft {
    const path = this.file(draftId);
    if (!existsSync(path)) throw new AmurError('reports.draftNotFound', { draft: draftId });
    const { savedAt: _savedAt, ...draft } = this.read(path, draftId);
    return validateDraft(draft, path).draft;
  }

  /** A stored draft, opened: the errors of opening (a shredded key, damage) are the vault's, naming the file. */
  private read(path: string, draftId: string): StoredDraft {
    const { StudyInstanceUID, plain } = this.files.read(path, draftContext(draftId));
    let d: StoredDraft;
    try {
      d = JSON.parse(plain.toString('utf8')) as StoredDraft;
    } catch (e) {
      throw new AmurError('reports.draftUnreadable', { path, detail: (e as Error).message }, { cause: e });
    }
    // The locator and the body agree, or the file is not what it says it is.
    if (d?.draftId !== draftId || d.study?.StudyInstanceUID !== StudyInstanceUID) {
      throw new AmurError('reports.draftUnreadable', { path, detail: 'draftId' });
    }
    return d;
  }

  /**
   * Drafts of one study (or all), most recently saved first. Only the drafts of that study are
   * opened (the locator says whose a file is); unreadable files, and drafts whose study's key was
   * shredded, are left out.
   */
  list(StudyInstanceUID?: string): DraftSummary[] {
    const out: DraftSummary[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith(EXT) || name.startsWith('.')) continue;
      const draftId = name.slice(0, -EXT.length);
      if (!ID.test(draftId)) continue;
      const path = join(this.dir, name);
      try {
        if (StudyInstanceUID && this.files.studyOf(readKept(path), draftContext(draftId), path) !== StudyInstanceUID) continue;
        out.push(summary(this.read(path, draftId)));
      } catch {
        // A file that is not a draft (or an editor's leftover) is not listed.
      }
    }
    return out.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  }

  /** The ids of a study's drafts, readable or not (what a purge removes): only the locators are opened. */
  idsOfStudy(StudyInstanceUID: string): string[] {
    const ids: string[] = [];
    for (const name of readdirSync(this.dir)) {
      const draftId = name.slice(0, -EXT.length);
      if (!name.endsWith(EXT) || !ID.test(draftId)) continue;
      const path = join(this.dir, name);
      try {
        if (this.files.studyOf(readKept(path), draftContext(draftId), path) === StudyInstanceUID) ids.push(draftId);
      } catch {
        // Not a draft of this vault: not this study's.
      }
    }
    return ids;
  }

  remove(draftId: string): void {
    rmSync(this.file(draftId), { force: true });
    fsyncDir(this.dir);
  }

  /**
   * Seals the drafts an earlier version saved in clear (<draftId>.json): the sealed copy is put in
   * place first, then the clear one removed, so a crash in between leaves both and the next open
   * only removes the clear one. A file that is not a valid draft is left as it is.
   */
  private sealLeftInClear(): void {
    for (const name of readdirSync(this.dir)) {
      const draftId = name.slice(0, -CLEAR_EXT.length);
      if (!name.endsWith(CLEAR_EXT) || !ID.test(draftId)) continue;
      const clear = join(this.dir, name);
      const sealed = this.file(draftId);
      try {
        if (!existsSync(sealed)) {
          const d = JSON.parse(readFileSync(clear, 'utf8')) as StoredDraft;
          if (d?.draftId !== draftId || typeof d.study?.StudyInstanceUID !== 'string') continue;
          this.write(sealed, d);
        }
        rmSync(clear, { force: true });
      } catch (e) {
        // Not a draft: an editor's file, left alone; a draft that cannot be written stops the open.
        if (isAmurError(e)) throw e;
      }
    }
  }
}

function summary(d: StoredDraft): DraftSummary {
  return {
    draftId: d.draftId,
    StudyInstanceUID: d.study.StudyInstanceUID,
    templateId: d.template.id,
    savedAt: d.savedAt ?? d.createdAt,
    ...(d.predecessor ? { predecessor: d.predecessor.SOPInstanceUID } : {}),
  };
}

export function signedReportsDir(home: string): string {
  return join(home, 'reports', 'signed');
}
