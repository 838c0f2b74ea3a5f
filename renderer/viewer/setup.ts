// One-time wiring of cornerstone in the page: the `amur:` loader, cornerstone-tools with its
// external dependencies, and the image cache bounded by the viewer's setting.
import cornerstone from 'cornerstone-core';
import cornerstoneTools from 'cornerstone-tools';
import cornerstoneMath from 'cornerstone-math';
import Hammer from 'hammerjs';
import { registerLoader } from './loader';

const CACHE_KEY = 'amur.viewer.cacheMB';
export const DEFAULT_CACHE_MB = 512;
export const CACHE_MB_RANGE = [64, 4096] as const;

/** The image cache bound, in MiB: a setting of the viewer (not patient data, so it may be stored). */
export function cacheMegabytes(): number {
  const v = Number(localStorage.getItem(CACHE_KEY));
  return Number.isFinite(v) && v >= CACHE_MB_RANGE[0] && v <= CACHE_MB_RANGE[1] ? v : DEFAULT_CACHE_MB;
}

export function setCacheMegabytes(mb: number): number {
  const v = Math.round(Math.min(CACHE_MB_RANGE[1], Math.max(CACHE_MB_RANGE[0], mb)));
  localStorage.setItem(CACHE_KEY, String(v));
  cornerstone.imageCache.setMaximumSizeBytes(v * 1024 * 1024);
  return v;
}

let done = false;
export function setupCornerstone(): void {
  if (done) return;
  done = true;
  registerLoader();
  cornerstone.imageCache.setMaximumSizeBytes(cacheMegabytes() * 1024 * 1024);
  cornerstoneTools.external.cornerstone = cornerstone;
  cornerstoneTools.external.cornerstoneMath = cornerstoneMath;
  cornerstoneTools.external.Hammer = Hammer;
  // Global tool sync gives viewports enabled after this point (all of ours: React mounts them later)
  // the tools and modes set globally; without it left-drag window/level reached no viewport.
  cornerstoneTools.init({ showSVGCursors: false, globalToolSyncEnabled: true });
  cornerstoneTools.addTool(cornerstoneTools.WwwcTool);
  cornerstoneTools.addTool(cornerstoneTools.PanTool);
  cornerstoneTools.addTool(cornerstoneTools.ZoomTool, { configuration: { invert: false, minScale: 0.05, maxScale: 40 } });
}

export type ToolName = 'Wwwc' | 'Pan' | 'Zoom';
export const TOOLS: ToolName[] = ['Wwwc', 'Pan', 'Zoom'];

/** The left button runs the chosen tool; the middle button pans and the right button zooms always. */
export function activateTool(name: ToolName): void {
  for (const t of TOOLS) cornerstoneTools.setToolPassive(t);
  const masks: Record<ToolName, number> = { Wwwc: 0, Pan: 4, Zoom: 2 };
  masks[name] |= 1;
  for (const t of TOOLS) if (masks[t]) cornerstoneTools.setToolActive(t, { mouseButtonMask: masks[t] });
}
