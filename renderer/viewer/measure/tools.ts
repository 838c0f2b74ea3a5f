// The cornerstone-tools measurement tools and the mapping between their tool state and Amur's
// plain measurements (core/contract/measurements.ts). Handle coordinates are image pixels with
// (0,0) at the top-left corner of the first pixel in both, so points pass through unchanged.
//
// The text beside a drawing is Amur's, not cornerstone-tools': the values the host computed (or,
// while a shape is still being drawn, the same core/measurements computation run here), written
// by the one rounding rule and in the user's language, so the image, the list and the report PDF
// show one number. The label texts are also on the element (data-measurement-labels) for tests
// and assistive tools, since a canvas has no text.
import cornerstone, { type Image } from 'cornerstone-core';
import cornerstoneTools from 'cornerstone-tools';
import i18next from 'i18next';
import type { ImagePoint, MeasuredValue, MeasurementToolType, StudyMeasurement } from '../../../core/contract/measurements';
import { measure } from '../../../core/measurements/compute';
import { imageIdOf } from '../image-id';
import { pixelModuleOf } from '../loader';
import { setupCornerstone } from '../setup';
import { formatValue } from './format';

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
  // The labels are drawn in the user's language: a change of language redraws them.
  i18next.on('languageChanged', () => {
    for (const e of (cornerstone as unknown as { getEnabledElements(): { element: HTMLElement; image?: unknown }[] }).getEnabledElements()) {
      if (e.image) cornerstone.updateImage(e.element);
    }
  });
  textConfig = {
    configuration: {
      getTextCallback: (done: (text?: string) => void, detail?: { element?: HTMLElement }) => {
        // A click-click arrow is discarded without asking for a text it would be thrown away with.
        const element = detail?.element;
        const state = element && (tools as unknown as { getToolState(e: HTMLElement, n: string): { data: ToolData[] } | undefined }).getToolState(element, 'ArrowAnnotate');
        const drawn = state?.data.find((d) => d.text === undefined);
        const points = drawn && pointsOf('ArrowAnnotate', drawn);
        if (element && points && degenerate(element, 'ArrowAnnotate', points)) return done(undefined);
        void askText().then((s) => done(s ?? undefined));
      },
      changeTextCallback: (data: ToolData, _e: unknown, done: (text?: string) => void) => void askText(data.text).then((s) => done(s ?? data.text)),
      allowEmptyLabel: false,
    },
  };
}

/** A shape smaller than this on screen (a click, a twitch of the hand) is discarded, never saved. */
export const MIN_SCREEN_PX = 4;

type Point = { x: number; y: number };
const toCanvas = (element: HTMLElement, p: Point): Point =>
  (cornerstone as unknown as { pixelToCanvas(e: HTMLElement, p: Point): Point }).pixelToCanvas(element, p);

/** Whether a handle of the drawing is still following the mouse (a new shape not yet finished). */
export function inProgress(data: ToolData): boolean {
  // Not `active`: cornerstone-tools sets that on any handle the mouse hovers over.
  return Object.values(data.handles ?? {}).some((h) => h?.moving === true);
}

/** Whether a finished new shape is too small on screen to be meant: its extent under MIN_SCREEN_PX. */
export function degenerate(element: HTMLElement, toolType: MeasurementToolType, points: ImagePoint[]): boolean {
  if (toolType === 'Probe') return false;
  const c = points.map((p) => toCanvas(element, p));
  const far = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y) >= MIN_SCREEN_PX;
  switch (toolType) {
    case 'Angle':
      return !far(c[0]!, c[1]!) || !far(c[2]!, c[1]!);
    case 'EllipticalRoi':
    case 'RectangleRoi':
      return Math.abs(c[0]!.x - c[1]!.x) < MIN_SCREEN_PX || Math.abs(c[0]!.y - c[1]!.y) < MIN_SCREEN_PX;
    default:
      return !far(c[0]!, c[1]!);
  }
}

/** The host's saved measurements, by Tracking UID, for the labels (set by sync.ts). */
let saved = new Map<string, StudyMeasurement>();
export function setSavedForLabels(list: StudyMeasurement[]): void {
  saved = new Map(list.map((m) => [m.trackingUID, m]));
}

/** The values a label shows: the host's when the drawing is what it saved, else the same computation here. */
function labelValues(toolType: MeasurementToolType, data: ToolData, image: Image | undefined): MeasuredValue[] | undefined {
  const points = pointsOf(toolType, data);
  if (!points) return undefined;
  const m = data.trackingUID ? saved.get(data.trackingUID) : undefined;
  if (m && m.points.every((p, i) => Math.abs(p.x - points[i]!.x) < 1e-6 && Math.abs(p.y - points[i]!.y) < 1e-6)) return m.values;
  const module = image && pixelModuleOf(image.imageId);
  if (!image || !module) return undefined;
  return measure(toolType, points, { pixelModule: module, values: image.color ? undefined : image.getPixelData() });
}

type DrawTextBox = (context: CanvasRenderingContext2D, lines: string[], x: number, y: number, color: string) => unknown;
type DrawLinkedTextBox = (context: CanvasRenderingContext2D, element: HTMLElement, textBox: ToolData['handles'][string], lines: string[], handles: ToolData['handles'], anchors: (h: ToolData['handles']) => Point[], color: string, lineWidth: number, xOffset: number, yCenter: boolean) => void;

/** Labels drawn on each element, per tool, for data-measurement-labels. */
const labelsOn = new WeakMap<HTMLElement, Map<string, { uid: string; tool: string; text: string }[]>>();

function drawLabels(toolType: MeasurementToolType, detail: { element: HTMLElement; image?: Image; canvasContext: CanvasRenderingContext2D }): void {
  const { element } = detail;
  const internal = (tools as unknown as { importInternal(uri: string): unknown }).importInternal;
  const drawTextBox = internal('drawing/drawTextBox') as DrawTextBox;
  const drawLinkedTextBox = internal('drawing/drawLinkedTextBox') as DrawLinkedTextBox;
  const colors = (tools as unknown as { toolColors: { getColorIfActive(d: ToolData): string } }).toolColors;
  const width = (tools as unknown as { toolStyle: { getToolWidth(): number } }).toolStyle.getToolWidth();
  const state = (tools as unknown as { getToolState(e: HTMLElement, n: string): { data: ToolData[] } | undefined }).getToolState(element, toolType);
  const shown: { uid: string; tool: string; text: string }[] = [];
  const context = detail.canvasContext.canvas.getContext('2d')!;
  const locale = i18next.language;
  const t = i18next.t.bind(i18next);
  for (const data of state?.data ?? []) {
    if (data.visible === false) continue;
    const values = labelValues(toolType, data, detail.image);
    if (!values || values.length === 0) continue;
    const lines = values.map((v) => formatValue(v, t, locale));
    const color = colors.getColorIfActive(data);
    context.save();
    context.setTransform(1, 0, 0, 1, 0, 0);
    if (toolType === 'Probe') {
      const at = toCanvas(element, { x: data.handles.end!.x + 3, y: data.handles.end!.y - 3 });
      drawTextBox(context, lines, at.x, at.y, color);
    } else if (data.handles.textBox) {
      const anchors = (h: ToolData['handles']) => HANDLES[toolType].map((k) => h[k]!).filter(Boolean);
      drawLinkedTextBox(context, element, data.handles.textBox, lines, data.handles, anchors, color, width, 10, true);
    }
    context.restore();
    shown.push({ uid: data.trackingUID ?? '', tool: toolType, text: lines.join('; ') });
  }
  let all = labelsOn.get(element);
  if (!all) labelsOn.set(element, (all = new Map()));
  all.set(toolType, shown);
  element.dataset.measurementLabels = JSON.stringify([...all.values()].flat());
}

const noop = () => undefined;
const labelled = new Map<MeasurementToolType, unknown>();

/**
 * The cornerstone-tools class of a tool with its own text left out and Amur's label drawn instead.
 * The tool's text goes through fillText/fillRect of the canvas context while it renders; those two
 * are silenced for that call only (shapes and handles are stroked paths and arcs). The arrow keeps
 * its own drawing: its text is the radiologist's.
 */
function labelledTool(toolType: MeasurementToolType): unknown {
  const Base = (cornerstoneTools as unknown as Record<string, new (props?: Record<string, unknown>) => { renderToolData(evt: unknown): void }>)[`${toolType}Tool`]!;
  if (toolType === 'ArrowAnnotate') return Base;
  let C = labelled.get(toolType);
  if (!C) {
    C = class extends Base {
      override renderToolData(evt: unknown): void {
        const detail = (evt as CustomEvent<{ element: HTMLElement; image?: Image; canvasContext: CanvasRenderingContext2D }>).detail;
        const context = detail.canvasContext.canvas.getContext('2d')! as unknown as Record<string, unknown>;
        context.fillText = noop;
        context.fillRect = noop;
        try {
          super.renderToolData(evt);
        } finally {
          delete context.fillText;
          delete context.fillRect;
        }
        drawLabels(toolType, detail);
      }
    };
    labelled.set(toolType, C);
  }
  return C;
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
    if (!api.getToolForElement(element, name)) api.addToolForElement(element, labelledTool(name), name === 'ArrowAnnotate' ? textConfig : undefined);
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
  // A drawing with no Tracking UID has not been saved yet (an arrow waiting for its text, a shape
  // still following the mouse): it stays, or its text would arrive for a drawing no longer there.
  for (const perImage of Object.values(state)) {
    for (const name of MEASURE_TOOLS) {
      const pending = (perImage[name]?.data ?? []).filter((d) => !d.trackingUID);
      if (pending.length) perImage[name] = { data: pending };
      else delete perImage[name];
    }
  }
  for (const m of measurements) {
    const id = imageIdOf(m.image.SOPInstanceUID, m.image.frame);
    const perImage = (state[id] ??= {});
    (perImage[m.toolType] ??= { data: [] }).data.push(toolDataOf(m));
  }
  setSavedForLabels(measurements);
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
