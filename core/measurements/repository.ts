// A study's measurements in the store's SQLite (tables of migration 3): each change is one
// transaction that writes the measurement, its undo step and the study's revision together, so
// a crash leaves either the whole change or none of it, and undo/redo survive a restart.
import { AmurError } from '../common/errors.js';
import type { StudyMeasurement, StudyMeasurements } from '../contract/measurements.js';
import type { StudyStore } from '../store/store.js';

/** Undo steps kept per study; older ones are dropped (the measurements themselves stay). */
export const HISTORY_LIMIT = 500;

interface Placed {
  position: number;
  m: StudyMeasurement;
}

export class MeasurementRepository {
  constructor(private readonly store: StudyStore) {}

  private get db() {
    return this.store.db;
  }

  /** The store's row id of a study; an unknown study is a clear error, never an empty list. */
  studyId(StudyInstanceUID: string): number {
    const id = this.db.prepare('SELECT id FROM studies WHERE StudyInstanceUID = ?').pluck().get(StudyInstanceUID) as number | undefined;
    if (id === undefined) throw new AmurError('measurements.unknownStudy', { study: StudyInstanceUID });
    return id;
  }

  /** The series and SOP class of an instance of this study, or undefined when the study has no such instance. */
  instanceOf(studyId: number, SOPInstanceUID: string): { SeriesInstanceUID: string; SOPClassUID: string; NumberOfFrames: number } | undefined {
    return this.db.prepare(`SELECT se.SeriesInstanceUID, i.SOPClassUID, coalesce(i.NumberOfFrames, 1) AS NumberOfFrames
      FROM instances i JOIN series se ON i.series_id = se.id WHERE i.SOPInstanceUID = ? AND se.study_id = ?`).get(SOPInstanceUID, studyId) as
      | { SeriesInstanceUID: string; SOPClassUID: string; NumberOfFrames: number }
      | undefined;
  }

  get(studyId: number, trackingUID: string): Placed | undefined {
    const row = this.db.prepare('SELECT position, data FROM measurements WHERE study_id = ? AND trackingUID = ?').get(studyId, trackingUID) as
      | { position: number; data: string }
      | undefined;
    return row && { position: row.position, m: JSON.parse(row.data) as StudyMeasurement };
  }

  /** Whether a trackingUID is taken by another study (tracking UIDs are unique in the store). */
  usedElsewhere(studyId: number, trackingUID: string): boolean {
    return this.db.prepare('SELECT 1 FROM measurements WHERE trackingUID = ? AND study_id <> ?').get(trackingUID, studyId) !== undefined;
  }

  /** The next free "M<n>" label number of a study. */
  nextLabelNumber(studyId: number): number {
    const labels = this.db.prepare('SELECT data FROM measurements WHERE study_id = ?').pluck().all(studyId) as string[];
    let n = 0;
    for (const d of labels) {
      const m = /^M(\d+)$/.exec((JSON.parse(d) as StudyMeasurement).label);
      if (m) n = Math.max(n, Number(m[1]));
    }
    return n + 1;
  }

  list(StudyInstanceUID: string, studyId = this.studyId(StudyInstanceUID)): StudyMeasurements {
    const rows = this.db.prepare('SELECT data FROM measurements WHERE study_id = ? ORDER BY position, id').pluck().all(studyId) as string[];
    const canUndo = this.db.prepare('SELECT 1 FROM measurement_history WHERE study_id = ? AND undone = 0 LIMIT 1').get(studyId) !== undefined;
    const canRedo = this.db.prepare('SELECT 1 FROM measurement_history WHERE study_id = ? AND undone = 1 LIMIT 1').get(studyId) !== undefined;
    const revision = (this.db.prepare('SELECT revision FROM measurement_revisions WHERE study_id = ?').pluck().get(studyId) as number | undefined) ?? 0;
    return { StudyInstanceUID, measurements: rows.map((r) => JSON.parse(r) as StudyMeasurement), canUndo, canRedo, revision };
  }

  private bump(studyId: number): void {
    this.db.prepare(`INSERT INTO measurement_revisions (study_id, revision) VALUES (?, 1)
      ON CONFLICT (study_id) DO UPDATE SET revision = revision + 1`).run(studyId);
  }

  /** Puts a measurement in its place (or removes it when `to` is undefined), without history. */
  private apply(studyId: number, trackingUID: string, to: Placed | undefined): void {
    if (!to) {
      this.db.prepare('DELETE FROM measurements WHERE study_id = ? AND trackingUID = ?').run(studyId, trackingUID);
      return;
    }
    this.db.prepare(`INSERT INTO measurements (study_id, trackingUID, position, data, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (trackingUID) DO UPDATE SET position = excluded.position, data = excluded.data, updated_at = excluded.updated_at`)
      .run(studyId, trackingUID, to.position, JSON.stringify(to.m), to.m.updatedAt);
  }

  /** One undoable change: `m` saved (or, when undefined, the measurement removed). */
  change(studyId: number, trackingUID: string, m: StudyMeasurement | undefined): void {
    this.db.transaction(() => {
      const before = this.get(studyId, trackingUID);
      if (!before && !m) return;
      let after: Placed | undefined;
      if (m) {
        const position = before?.position
          ?? ((this.db.prepare('SELECT max(position) FROM measurements WHERE study_id = ?').pluck().get(studyId) as number | null) ?? 0) + 1;
        after = { position, m };
      }
      this.apply(studyId, trackingUID, after);
      // A new change makes the undone steps unreachable, as in every editor.
      this.db.prepare('DELETE FROM measurement_history WHERE study_id = ? AND undone = 1').run(studyId);
      this.db.prepare('INSERT INTO measurement_history (study_id, trackingUID, before, after) VALUES (?, ?, ?, ?)')
        .run(studyId, trackingUID, before ? JSON.stringify(before) : null, after ? JSON.stringify(after) : null);
      this.db.prepare(`DELETE FROM measurement_history WHERE study_id = ? AND id NOT IN
        (SELECT id FROM measurement_history WHERE study_id = ? ORDER BY id DESC LIMIT ?)`).run(studyId, studyId, HISTORY_LIMIT);
      this.bump(studyId);
    }).immediate();
  }

  /** Undoes the latest step (redo: re-applies the earliest undone one). Returns false when there is none. */
  step(studyId: number, direction: 'undo' | 'redo'): boolean {
    return this.db.transaction(() => {
      const row = this.db.prepare(direction === 'undo'
        ? 'SELECT id, trackingUID, before, after FROM measurement_history WHERE study_id = ? AND undone = 0 ORDER BY id DESC LIMIT 1'
        : 'SELECT id, trackingUID, before, after FROM measurement_history WHERE study_id = ? AND undone = 1 ORDER BY id ASC LIMIT 1').get(studyId) as
        | { id: number; trackingUID: string; before: string | null; after: string | null }
        | undefined;
      if (!row) return false;
      const target = direction === 'undo' ? row.before : row.after;
      this.apply(studyId, row.trackingUID, target ? (JSON.parse(target) as Placed) : undefined);
      this.db.prepare('UPDATE measurement_history SET undone = ? WHERE id = ?').run(direction === 'undo' ? 1 : 0, row.id);
      this.bump(studyId);
      return true;
    }).immediate();
  }
}
