// The cornerstone-tools measurement tools and the mapping between their tool state and Amur's
// plain measurements (core/contract/measurements.ts). Handle coordinates are image pixels with
// (0,0) at the top-left corner of the first pixel in both, so points pass through unchanged.
import cornerstone from 'cornerstone-core';
import cornerstoneTools from 'cornerstone-tools';
import type { ImagePoint, MeasurementToolType, StudyMeasurement } from '../../../core/contract/measurements';
import { imageIdOf } from '../image-id';
import { pixelModuleOf } from '../loader';
import { setupCornerstone } from '../setup';

export const MEASURE_TOOLS: MeasurementToolType[] = ['Length', 'Angle', 'EllipticalRoi', 'RectangleRoi', 'ArrowAnnotate', 'Probe'];

/** Which handles hold a tool's points, in the contract's order. */
const HANDLES: Record<MeasurementToolType, string[]> = {
  Length: ['start', 'end'],
  Angle: ['start', 'middle', 'end'],
  EllipticalRoi: ['start', 'end'],
  RectangleRoi: ['start', 'end'],
  ArrowAnnotate: ['start', 'end'],
  Probe: ['end'],
};

export interface ToolData {
  visible?: boolean;
  active?: boolean;
  invalidated?: boolean;
  handles: Record<string, { x: number; y: number; [k: string]: unknown }>;
  text?: string;
  /** Amur's Tracking Unique Identifier, set when the measurement is first saved. */
  trackingUID?: string;
  [k: string]: unknown;
}

type ToolsApi = typeof cornerstoneTools & {
  globalImageIdSpecificToolStateManager: {
    saveToolState(): Record<string, Record<string, { data: ToolData[] }>>;
    restoreToolState(state: Record<string, Record<string, { data: ToolData[] }>>): void;
  };
  EVENTS: Record<string, string>;
};
export const tools = cornerstoneTools as ToolsApi;

const CT_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.2.1']);

let added = false;
let textConfig: Record<string, unknown> | undefined;
let activeTool: MeasurementToolType | undefined;
/**
 * Adds the measurement tools once (passive: existing measurements can be moved, none drawn until
 * one is chosen). The arrow asks for its text through `askText`, never window.prompt (Electron has none).
 */
export function addMeasureTools(askText: (initial?: string) => Promise<string | undefined>): void {
  if (added) return;
  added = true;
  // This module may load before the viewer's own: cornerstone-tools must be initialised first.
  setupCornerstone();
  // cornerstone-tools labels ROI statistics HU when the series is CT; it learns the modality here.
  (cornerstone as unknown as { metaData: { addProvider(fn: (type: string, imageId: string) => unknown): void } }).metaData.addProvider((type, imageId) => {
    if (type !== 'generalSeriesModule') return undefined;
    const m = pixelModuleOf(imageId);
    return m ? { modality: CT_CLASSES.has(m.SOPClassUID) ? 'CT' : '' } : undefined;
  });
  textConfig = {
    configuration: {
      getTextCallback: (done: (text?: string) => void) => void askText().then((s) => done(s ?? undefined)),
      changeTextCallback: (data: ToolData, _e: unknown, done: (text?: string) => void) => void askText(data.text).then((s) => done(s ?? data.text)),
      allowEmptyLabel: false,
    },
  };
}

type ElementApi = {
  addToolForElement(element: HTMLElement, tool: unknown, props?: Record<string, unknown>): void;
  setToolPassiveForElement(element: HTMLElement, name: string): void;
  setToolActiveForElement(element: HTMLElement, name: string, options: { mouseButtonMask: number }): void;
  getToolForElement(element: HTMLElement, name: string): unknown;
};

/**
 * Puts the measurement tools on one viewport element. cornerstone-tools copies tools added with
 * addTool only to elements enabled before the call (unless its global tool sync is on), and the
 * viewer enables its viewports later, so each element gets its own here.
 */
export function addMeasureToolsToElement(element: HTMLElement): void {
  const api = cornerstoneTools as unknown as ElementApi & Record<string, unknown>;
  for (const name of MEASURE_TOOLS) {
    if (!api.getToolForElement(element, name)) api.addToolForElement(element, api[`${name}Tool`], name === 'ArrowAnnotate' ? textConfig : undefined);
    if (activeTool === name) api.setToolActiveForElement(element, name, { mouseButtonMask: 1 });
    else api.setToolPassiveForElement(element, name);
  }
}

/** Draws with `name` on the left button; cornerstone-tools makes the left-button viewer tool passive. */
export function activateMeasureTool(name: MeasurementToolType | undefined): void {
  activeTool = name;
  const api = cornerstoneTools as unknown as ElementApi;
  for (const e of (cornerstone as unknown as { getEnabledElements(): { element: HTMLElement }[] }).getEnabledElements()) {
    for (const t of MEASURE_TOOLS) if (t !== name && api.getToolForElement(e.element, t)) api.setToolPassiveForElement(e.element, t);
    if (name) addMeasureToolsToElement(e.element);
  }
}

export function pointsOf(toolType: MeasurementToolType, data: ToolData): ImagePoint[] | undefined {
  const out: ImagePoint[] = [];
  for (const h of HANDLES[toolType]) {
    const p = data.handles?.[h];
    if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) return undefined;
    out.push({ x: p.x, y: p.y });
  }
  return out;
}

function handle(p: ImagePoint) {
  return { x: p.x, y: p.y, highlight: true, active: false };
}

/** The cornerstone-tools data of a saved measurement. */
export function toolDataOf(m: StudyMeasurement): ToolData {
  const handles: ToolData['handles'] = {};
  HANDLES[m.toolType].forEach((h, i) => {
    handles[h] = handle(m.points[i]!);
  });
  handles.textBox = { x: 0, y: 0, active: false, hasMoved: false, movesIndependently: false, drawnIndependently: true, allowedOutsideImage: true, hasBoundingBox: true };
  const data: ToolData = { visible: true, active: false, invalidated: true, handles, trackingUID: m.trackingUID };
  if (m.toolType === 'ArrowAnnotate') data.text = m.text ?? '';
  if (m.toolType === 'EllipticalRoi' || m.toolType === 'RectangleRoi') data.initialRotation = 0;
  return data;
}

/** Replaces the measurement tools' state for every image with `measurements` and redraws. */
export function showMeasurements(measurements: StudyMeasurement[]): void {
  const mgr = tools.globalImageIdSpecificToolStateManager;
  const state = mgr.saveToolState();
  for (const perImage of Object.values(state)) for (const name of MEASURE_TOOLS) delete perImage[name];
  for (const m of measurements) {
    const id = imageIdOf(m.image.SOPInstanceUID, m.image.frame);
    const perImage = (state[id] ??= {});
    (perImage[m.toolType] ??= { data: [] }).data.push(toolDataOf(m));
  }
  mgr.restoreToolState(state);
  for (const e of (cornerstone as unknown as { getEnabledElements(): { element: HTMLElement; image?: unknown }[] }).getEnabledElements()) {
    if (e.image) cornerstone.updateImage(e.element);
  }
}

/** Every measurement-tool entry in cornerstone-tools' state, with the image it is on. */
export function allToolData(): { imageId: string; toolType: MeasurementToolType; data: ToolData }[] {
  const state = tools.globalImageIdSpecificToolStateManager.saveToolState();
  const out: { imageId: string; toolType: MeasurementToolType; data: ToolData }[] = [];
  for (const [imageId, perImage] of Object.entries(state)) {
    for (const toolType of MEASURE_TOOLS) for (const data of perImage[toolType]?.data ?? []) out.push({ imageId, toolType, data });
  }
  return out;
}
