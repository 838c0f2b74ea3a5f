// AI triage results as proposals in a report draft. What the model flagged (positive at its
// balanced operating point) becomes a proposed finding when the template has a finding of the same
// id as the model's label; the radiologist accepts or rejects each, and only accepted ones reach
// the signed report, with the model's id, version and SHA-256 (core/reports/sr.ts, pdf.ts).
import type { StudyTriageResult } from '../contract/triage.js';
import type { AiFinding } from './draft.js';
import { findingById, type ReportTemplate } from './template.js';

export function aiProposalsFromTriage(results: Pick<StudyTriageResult, 'status' | 'model' | 'findings'>[], template: ReportTemplate): AiFinding[] {
  const out: AiFinding[] = [];
  for (const r of results) {
    if (r.status !== 'done' || !/^[0-9a-f]{64}$/.test(r.model.sha256)) continue;
    for (const f of r.findings) {
      if (!f.positive || !findingById(template, f.label)) continue;
      out.push({
        id: `${r.model.id}:${f.label}`,
        model: { name: r.model.id, version: r.model.version, sha256: r.model.sha256 },
        findingId: f.label,
        score: Math.round(f.score * 1000) / 1000,
        status: 'proposed',
      });
    }
  }
  return out;
}
