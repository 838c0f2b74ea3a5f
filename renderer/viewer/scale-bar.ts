// The scale bar's length: the roundest length (1, 2, 5 × 10^n mm) whose bar is at most a quarter
// of the viewport's width at the current zoom. A horizontal bar on screen runs along the image's
// rows, or along its columns when the view is turned by a quarter, so the matching spacing is used.
import type { ImagePixelModule } from '../../core/contract/imaging.js';

const NICE_MM = [1, 2, 5, 10, 20, 50, 100, 200, 500];

/** What of a view the bar depends on (cornerstone's viewport has these). */
export interface ViewScale {
  /** Screen pixels per image pixel. */
  scale: number;
  /** Degrees clockwise. */
  rotation: number;
}

export function scaleBar(m: Pick<ImagePixelModule, 'PixelSpacing'>, vp: ViewScale, width: number): { mm: number; px: number; spacing: number } | undefined {
  if (!m.PixelSpacing || !(vp.scale > 0) || !(width > 0)) return undefined;
  const [rowSpacing, columnSpacing] = m.PixelSpacing;
  const quarter = Math.abs(Math.round(vp.rotation / 90)) % 2 === 1;
  const spacing = quarter ? rowSpacing : columnSpacing;
  if (!(spacing > 0)) return undefined;
  const pxPerMm = vp.scale / spacing;
  const mm = [...NICE_MM].reverse().find((l) => l * pxPerMm <= width / 4);
  if (!mm) return undefined;
  return { mm, px: mm * pxPerMm, spacing };
}
