// The AI heatmap drawn over the image it belongs to. The model stretched the whole image to its
// square input without letterboxing (models/<id>/manifest.json "preprocessing.resize"), so its
// 16x16 class activation grid covers the image's full Columns x Rows: cell (r, c) spans pixels
// [c·Columns/16, (c+1)·Columns/16) x [r·Rows/16, (r+1)·Rows/16). Drawing it in cornerstone's pixel
// coordinate system after each render (IMAGE_RENDERED) makes it follow zoom, pan, rotation and flips.
import cornerstone, { type ImageRenderedDetail } from 'cornerstone-core';
import type { TriageHeatmap } from '../../../core/contract/triage';
import { parseImageId } from '../image-id';

/** A perceptual-enough blue → cyan → yellow → red ramp; heat also sets the alpha, so no heat shows nothing. */
export function heatColour(v: number): [number, number, number, number] {
  const x = Math.max(0, Math.min(1, v));
  const c = (d: number) => Math.round(255 * Math.max(0, Math.min(1, 1.5 - Math.abs(4 * x - d))));
  return [c(3), c(2), c(1), Math.round(255 * Math.min(1, x * 1.5))];
}

/** The grid as a tiny RGBA canvas; the browser's bilinear scaling smooths it onto the image. */
export function heatmapCanvas(h: TriageHeatmap): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = h.columns;
  canvas.height = h.rows;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(h.columns, h.rows);
  h.values.forEach((v, i) => img.data.set(heatColour(v), i * 4));
  ctx.putImageData(img, 0, 0);
  return canvas;
}

export interface OverlayState {
  heatmap?: TriageHeatmap;
  visible: boolean;
  /** 0..1 */
  opacity: number;
}

/**
 * Draws the heatmap onto a just-rendered viewport when it shows frame 1 of the heatmap's instance,
 * and records on the element what it drew (data-ai-heatmap: "none" when the image is not the triaged
 * one, "off", or "on:<opacity>"; data-ai-heatmap-rotation: the view's rotation it was drawn under),
 * the signal an automated check waits for before reading the canvas.
 */
export function drawOverlay(d: ImageRenderedDetail, state: OverlayState, grid: HTMLCanvasElement | undefined): void {
  const el = d.element;
  const id = parseImageId(d.image.imageId);
  el.dataset.aiHeatmapRotation = String(d.viewport.rotation);
  const mine = !!state.heatmap && id.SOPInstanceUID === state.heatmap.SOPInstanceUID && id.frame === 0;
  if (!mine || !state.visible || !grid || state.opacity <= 0) {
    el.dataset.aiHeatmap = mine ? 'off' : 'none';
    return;
  }
  const ctx = d.canvasContext;
  ctx.save();
  cornerstone.setToPixelCoordinateSystem(d.enabledElement, ctx);
  ctx.globalAlpha = state.opacity;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(grid, 0, 0, d.image.columns, d.image.rows);
  ctx.restore();
  el.dataset.aiHeatmap = `on:${state.opacity.toFixed(2)}`;
}

/**
 * Keeps every viewport's overlay in step with `get()`: listens to IMAGE_RENDERED in the capture
 * phase on the document (cornerstone's events do not bubble, and viewports come and go with the
 * layout), and redraws the viewports when the state changes. Returns the function that stops it.
 */
export function attachOverlay(get: () => { state: OverlayState; grid?: HTMLCanvasElement }): () => void {
  const onRendered = (ev: Event) => {
    const d = (ev as CustomEvent<ImageRenderedDetail>).detail;
    if (!d?.canvasContext || !d.image) return;
    const { state, grid } = get();
    drawOverlay(d, state, grid);
  };
  document.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered, true);
  return () => document.removeEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered, true);
}

/** Re-renders the viewports that show an image, so that a changed overlay is drawn (or removed). */
export function redrawViewports(): void {
  for (const el of document.querySelectorAll<HTMLElement>('.viewport-element')) {
    try {
      if (cornerstone.getImage(el)) cornerstone.updateImage(el);
    } catch {
      // Not (or no longer) enabled: nothing on it to redraw.
    }
  }
}
