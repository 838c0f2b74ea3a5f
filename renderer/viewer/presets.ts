// Window presets per modality, in the order the toolbar lists them and the keys 1…8 choose them.
// CT has the absolute windows in Hounsfield units that radiologists use; the other modalities have
// no absolute scale, so their list starts with the windows the file itself carries (a DX, CR or MG
// is windowed by its modality's processing, and that VOI is what the reader expects first), then
// the full range of the image. The image's own window (key 0) stays a separate choice.
import type { ImagePixelModule } from '../../core/contract/imaging.js';

export interface WindowPreset {
  /** 'brain', 'lung', … (translated as ui.viewer.preset.<id>); 'file-<n>' for the file's n-th window; 'range'. */
  id: string;
  windowWidth: number;
  windowCenter: number;
  /** The file's Window Center & Width Explanation, shown as the file gives it. */
  explanation?: string;
}

export const CT_PRESETS: WindowPreset[] = [
  { id: 'brain', windowWidth: 80, windowCenter: 40 },
  { id: 'subdural', windowWidth: 215, windowCenter: 75 },
  { id: 'stroke', windowWidth: 40, windowCenter: 40 },
  { id: 'lung', windowWidth: 1500, windowCenter: -600 },
  { id: 'mediastinum', windowWidth: 350, windowCenter: 50 },
  { id: 'abdomen', windowWidth: 400, windowCenter: 50 },
  { id: 'liver', windowWidth: 150, windowCenter: 30 },
  { id: 'bone', windowWidth: 1800, windowCenter: 400 },
];

/** The range of the image in modality units (after the Modality LUT), for the full-range preset. */
export interface ValueRange {
  min: number;
  max: number;
}

/** The windows the instance lists (VOI LUT Module), in its order: the first is its default. */
export function fileWindows(m: Pick<ImagePixelModule, 'WindowCenter' | 'WindowWidth' | 'WindowCenterWidthExplanation'> | undefined): WindowPreset[] {
  if (!m) return [];
  const out: WindowPreset[] = [];
  for (let i = 0; i < Math.min(m.WindowCenter.length, m.WindowWidth.length); i++) {
    const windowWidth = m.WindowWidth[i];
    const windowCenter = m.WindowCenter[i];
    if (!(windowWidth > 0) || !Number.isFinite(windowCenter)) continue;
    // A window repeated (e.g. a CT's 40\40 with 400\400) is listed once.
    if (out.some((p) => p.windowWidth === windowWidth && p.windowCenter === windowCenter)) continue;
    const explanation = m.WindowCenterWidthExplanation[i]?.trim() || undefined;
    out.push({ id: `file-${i}`, windowWidth, windowCenter, ...(explanation ? { explanation } : {}) });
  }
  return out;
}

/** The window that shows every value of the image. */
export function rangePreset(range: ValueRange): WindowPreset {
  return { id: 'range', windowWidth: Math.max(1, range.max - range.min), windowCenter: (range.max + range.min) / 2 };
}

/** Which kind of list a modality gets: CT's absolute windows, or the file's own first. */
export function presetKind(modality: string | undefined): 'ct' | 'file' {
  return modality?.toUpperCase() === 'CT' ? 'ct' : 'file';
}

/**
 * The presets of an image of this modality. CT: the standard windows. MR, DX, CR, MG and the others:
 * the file's windows first, then the full range (when the range is known; without it the entry is
 * listed with a zero width and is resolved when chosen).
 */
export function presetsFor(modality: string | undefined, m: Parameters<typeof fileWindows>[0], range?: ValueRange): WindowPreset[] {
  if (presetKind(modality) === 'ct') return CT_PRESETS;
  const full = range ? rangePreset(range) : { id: 'range', windowWidth: 0, windowCenter: 0 };
  return [...fileWindows(m), full];
}

/** The preset showing now (same width and centre to half a unit), or undefined for a window of the reader's own. */
export function activePreset(presets: WindowPreset[], voi: { windowWidth: number; windowCenter: number } | undefined): WindowPreset | undefined {
  if (!voi) return undefined;
  return presets.find((p) => p.windowWidth > 0 && Math.abs(p.windowWidth - voi.windowWidth) < 0.5 && Math.abs(p.windowCenter - voi.windowCenter) < 0.5);
}
