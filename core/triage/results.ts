// Where triage results live: the triage_results table of the study store (migration 2; the
// population column, migration 6), one row per study and model. Reasons are stored as code + parameters and translated when read, so the
// same result reads in Chinese, Russian or English.
import type { Database } from 'better-sqlite3-multiple-ciphers';
import type { ErrorParams } from '../common/errors.js';
import type { StudyTriageResult, TriageFinding, TriageHeatmap, TriageStatus } from '../contract/triage.js';
import { t, type Language } from '../i18n/index.js';

/** A result as stored: the reason still as code + params. */
export interface StoredTriage extends Omit<StudyTriageResult, 'reason'> {
  reasonParams?: ErrorParams;
}

interface Row {
  StudyInstanceUID: string;
  model_id: string;
  model_version: string;
  model_sha256: string;
  status: TriageStatus;
  reason_code: string | null;
  reason_params: string | null;
  findings: string;
  operating_points: string;
  population: string | null;
  SOPInstanceUID: string | null;
  heatmap: string | null;
  instance_counts: string;
  triaged_at: string;
}

/** The translated reason of a stored result ("errors.<code>" in the i18n catalogues). */
export function withReason(r: StoredTriage, lang: Language): StudyTriageResult {
  const { reasonParams, ...rest } = r;
  // The parameters travel with the code: the viewer words the reason in its own language.
  return r.reasonCode ? { ...rest, ...(reasonParams ? { reasonParams } : {}), reason: t(`errors.${r.reasonCode}`, reasonParams ?? {}, lang) } : rest;
}

export class TriageResults {
  constructor(private readonly db: Database) {}

  /** Stores (replacing the study's previous result from the same model). False when the study is gone. */
  put(r: StoredTriage): boolean {
    const study = this.db.prepare('SELECT id FROM studies WHERE StudyInstanceUID = ?').get(r.StudyInstanceUID) as { id: number } | undefined;
    if (!study) return false;
    const score = r.findings.length ? Math.max(...r.findings.map((f) => f.score)) : null;
    this.db.prepare(`
      INSERT INTO triage_results (study_id, model_id, model_version, model_sha256, status, reason_code, reason_params,
        score, findings, operating_points, population, SOPInstanceUID, heatmap, instance_counts, triaged_at)
      VALUES (@study_id, @model_id, @model_version, @model_sha256, @status, @reason_code, @reason_params,
        @score, @findings, @operating_points, @population, @SOPInstanceUID, @heatmap, @instance_counts, @triaged_at)
      ON CONFLICT (study_id, model_id) DO UPDATE SET
        model_version = excluded.model_version, model_sha256 = excluded.model_sha256, status = excluded.status,
        reason_code = excluded.reason_code, reason_params = excluded.reason_params, score = excluded.score,
        findings = excluded.findings, operating_points = excluded.operating_points, population = excluded.population,
        SOPInstanceUID = excluded.SOPInstanceUID, heatmap = excluded.heatmap,
        instance_counts = excluded.instance_counts, triaged_at = excluded.triaged_at
    `).run({
      study_id: study.id,
      model_id: r.model.id,
      model_version: r.model.version,
      model_sha256: r.model.sha256,
      status: r.status,
      reason_code: r.reasonCode ?? null,
      reason_params: r.reasonParams ? JSON.stringify(r.reasonParams) : null,
      score,
      findings: JSON.stringify(r.findings),
      operating_points: JSON.stringify(r.operatingPoints),
      population: r.population ?? null,
      SOPInstanceUID: r.SOPInstanceUID ?? null,
      heatmap: r.heatmap ? JSON.stringify(r.heatmap) : null,
      instance_counts: JSON.stringify(r.instances),
      triaged_at: r.triagedAt,
    });
    return true;
  }

  private select(where: string, ...params: unknown[]): StoredTriage[] {
    const rows = this.db.prepare(`
      SELECT s.StudyInstanceUID, r.* FROM triage_results r JOIN studies s ON s.id = r.study_id ${where}
      ORDER BY s.StudyInstanceUID, r.model_id
    `).all(...params) as Row[];
    return rows.map((row) => {
      const out: StoredTriage = {
        StudyInstanceUID: row.StudyInstanceUID,
        status: row.status,
        model: { id: row.model_id, version: row.model_version, sha256: row.model_sha256 },
        findings: JSON.parse(row.findings) as TriageFinding[],
        operatingPoints: JSON.parse(row.operating_points) as StudyTriageResult['operatingPoints'],
        instances: JSON.parse(row.instance_counts) as StudyTriageResult['instances'],
        triagedAt: row.triaged_at,
      };
      if (row.reason_code) out.reasonCode = row.reason_code;
      if (row.reason_params) out.reasonParams = JSON.parse(row.reason_params) as ErrorParams;
      if (row.population) out.population = row.population;
      if (row.SOPInstanceUID) out.SOPInstanceUID = row.SOPInstanceUID;
      if (row.heatmap) out.heatmap = JSON.parse(row.heatmap) as TriageHeatmap;
      return out;
    });
  }

  get(StudyInstanceUID: string, modelId: string): StoredTriage | undefined {
    return this.select('WHERE s.StudyInstanceUID = ? AND r.model_id = ?', StudyInstanceUID, modelId)[0];
  }

  list(modelId: string): StoredTriage[] {
    return this.select('WHERE r.model_id = ?', modelId);
  }

  /** Studies with no result from exactly this model file (new ones, or triaged by another version). */
  untriaged(model: { id: string; sha256: string }): string[] {
    return (this.db.prepare(`
      SELECT s.StudyInstanceUID FROM studies s
      WHERE NOT EXISTS (SELECT 1 FROM triage_results r WHERE r.study_id = s.id AND r.model_id = ? AND r.model_sha256 = ?)
      ORDER BY s.imported_at, s.StudyInstanceUID
    `).all(model.id, model.sha256) as { StudyInstanceUID: string }[]).map((r) => r.StudyInstanceUID);
  }
}
