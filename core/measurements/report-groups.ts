// A study's measurements as the report draft's measurement groups (README, "Report draft"):
// only what TID 2000's groups can say today (lengths, areas and region statistics in mm, mm², HU
// or plain values), with the graphic as SCOORD writes it. Angles, probes and arrows stay in the
// Measurement Report (TID 1500 export) and in the viewer. Plain functions with no Node imports,
// so the report editor in the renderer uses the same mapping as the host.
import type { ImagePoint, MeasuredUnit, StudyMeasurement } from '../contract/measurements.js';
import type { DraftMeasurement } from './draft-types.js';

/** The tool's graphic as SCOORD GraphicType and GraphicData (column,row pairs). */
export function graphicOf(m: Pick<StudyMeasurement, 'toolType' | 'points'>): { type: 'POINT' | 'POLYLINE' | 'ELLIPSE'; points: number[] } {
  const p = m.points;
  const flat = (ps: ImagePoint[]) => ps.flatMap((q) => [q.x, q.y]);
  switch (m.toolType) {
    case 'Probe': return { type: 'POINT', points: flat(p.slice(0, 1)) };
    case 'EllipticalRoi': {
      const [a, b] = [p[0]!, p[1]!];
      const l = Math.min(a.x, b.x); const r = Math.max(a.x, b.x);
      const t = Math.min(a.y, b.y); const bo = Math.max(a.y, b.y);
      const cx = (l + r) / 2; const cy = (t + bo) / 2;
      // ELLIPSE: the major axis end points first, then the minor axis ones (PS3.3 C.18.6.1.2).
      const horizontal = r - l >= bo - t;
      const major = horizontal ? [{ x: l, y: cy }, { x: r, y: cy }] : [{ x: cx, y: t }, { x: cx, y: bo }];
      const minor = horizontal ? [{ x: cx, y: t }, { x: cx, y: bo }] : [{ x: l, y: cy }, { x: r, y: cy }];
      return { type: 'ELLIPSE', points: flat([...major, ...minor]) };
    }
    case 'RectangleRoi': {
      const [a, b] = [p[0]!, p[1]!];
      return { type: 'POLYLINE', points: flat([a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }, a]) };
    }
    default: return { type: 'POLYLINE', points: flat(p) };
  }
}

/** Whether the radiologist keeps a measurement in the report (stored before the choice existed: yes). */
export function isInReport(m: Pick<StudyMeasurement, 'inReport'>): boolean {
  return m.inReport !== false;
}

const DRAFT_KINDS = new Set(['length', 'area', 'mean', 'stdDev', 'min', 'max']);
const DRAFT_UNITS = new Set<MeasuredUnit>(['mm', 'mm2', 'HU', '1']);

export function toDraftMeasurements(measurements: StudyMeasurement[]): DraftMeasurement[] {
  const out: DraftMeasurement[] = [];
  for (const m of measurements) {
    const values = m.values
      .filter((v) => DRAFT_KINDS.has(v.quantity) && DRAFT_UNITS.has(v.unit) && Number.isFinite(v.value))
      .map((v) => ({ kind: v.quantity as DraftMeasurement['values'][number]['kind'], value: v.value, unit: v.unit as DraftMeasurement['values'][number]['unit'] }));
    if (values.length === 0) continue;
    out.push({
      trackingUID: m.trackingUID,
      label: m.label,
      values,
      image: { SOPClassUID: m.image.SOPClassUID, SOPInstanceUID: m.image.SOPInstanceUID, ...(m.image.frame > 0 ? { frame: m.image.frame + 1 } : {}) },
      graphic: graphicOf(m),
    });
  }
  return out;
}
