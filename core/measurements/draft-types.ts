// The draft's measurement group, as core/reports/draft.ts defines it, restated without that file's
// Node imports so the renderer can type-check the mapping; report-groups.test.ts proves the two agree.
export interface DraftMeasurement {
  trackingUID: string;
  label: string;
  findingId?: string;
  values: { kind: 'length' | 'area' | 'mean' | 'stdDev' | 'min' | 'max'; value: number; unit: 'mm' | 'mm2' | 'HU' | '1' }[];
  /** 1-based, as Referenced Frame Number. */
  image: { SOPClassUID: string; SOPInstanceUID: string; frame?: number };
  graphic: { type: 'POINT' | 'POLYLINE' | 'ELLIPSE' | 'CIRCLE'; points: number[] };
}
