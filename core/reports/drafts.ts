// Where drafts live while the radiologist works: AMUR_HOME/reports/drafts/<draftId>.json, one file
// per draft, replaced atomically on every save (write a temp file, fsync, rename, fsync the folder),
// so that a crash at any moment leaves either the previous or the new version, never half of one:
// nothing typed and saved is lost. Signed reports go to AMUR_HOME/reports/signed/<SR UID>/.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fsyncDir } from '../common/fs.js';
import { AmurError } from '../common/errors.js';
import { validateDraft, type ReportDraft } from './draft.js';

export type { DraftSummary } from '../contract/reports.js';
import type { DraftSummary } from '../contract/reports.js';

const ID = /^[0-9a-f-]{36}$/;

export class DraftStore {
  readonly dir: string;

  constructor(home: string) {
    this.dir = join(home, 'reports', 'drafts');
    mkdirSync(this.dir, { recursive: true });
  }

  private file(draftId: string): string {
    if (!ID.test(draftId)) throw new AmurError('reports.draftNotFound', { draft: draftId });
    return join(this.dir, `${draftId}.json`);
  }

  /** Validates and saves a draft, replacing its previous version atomically. */
  save(draft: ReportDraft): DraftSummary {
    const path = this.file(draft.draftId);
    validateDraft(draft, path);
    const stored = { ...draft, savedAt: new Date().toISOString() };
    const tmp = join(this.dir, `.${draft.draftId}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`, { flag: 'wx' });
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      fsyncDir(this.dir);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new AmurError('reports.draftUnwritable', { path, detail: (e as Error).message }, { cause: e });
    }
    return summary(stored);
  }

  load(draftId: string): ReportDraft {
    const path = this.file(draftId);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AmurError('reports.draftNotFound', { draft: draftId });
      throw new AmurError('reports.draftUnreadable', { path, detail: (e as Error).message }, { cause: e });
    }
    const { savedAt: _savedAt, ...draft } = raw as ReportDraft & { savedAt?: string };
    return validateDraft(draft, path).draft;
  }

  /** Drafts of one study (or all), most recently saved first. Unreadable files are left out. */
  list(StudyInstanceUID?: string): DraftSummary[] {
    const out: DraftSummary[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        const d = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as ReportDraft & { savedAt?: string };
        if (!StudyInstanceUID || d.study?.StudyInstanceUID === StudyInstanceUID) out.push(summary(d));
      } catch {
        // A file that is not a draft (or an editor's leftover) is not listed.
      }
    }
    return out.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  }

  remove(draftId: string): void {
    rmSync(this.file(draftId), { force: true });
    fsyncDir(this.dir);
  }
}

function summary(d: ReportDraft & { savedAt?: string }): DraftSummary {
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
