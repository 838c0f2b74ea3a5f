// Keeps cornerstone-tools' drawings and the host's saved measurements the same, in both directions:
// a drawing finished or moved is saved through the contract at once (so a crash loses nothing),
// and what the host holds (on opening a study, after undo/redo, from another window) is drawn.
// The comparison is by Tracking UID, geometry and text, so a redraw after our own save changes nothing.
import cornerstone from 'cornerstone-core';
import type { MeasurementToolType, StudyMeasurement, StudyMeasurements } from '../../../core/contract/measurements';
import { services } from '../../shell';
import { afterFirstImage } from '../open-study';
import { parseImageId } from '../image-id';
import { currentMeasurements, setMeasurements } from './state';
import { addMeasureToolsToElement, allToolData, degenerate, inProgress, pointsOf, showMeasurements, tools, type ToolData } from './tools';

/** A Tracking Unique Identifier: the 2.25 root over a random UUID (PS3.5 B.2). */
export function newTrackingUID(): string {
  return `2.25.${BigInt(`0x${crypto.randomUUID().replace(/-/g, '')}`).toString()}`;
}

let study: string | undefined;
let mouseDown = false;
let pendingShow = false;
/** Errors of the last save, for the toolbar to show. */
let onError: ((e: unknown) => void) | undefined;

function same(m: StudyMeasurement, toolType: MeasurementToolType, data: ToolData): boolean {
  const pts = pointsOf(toolType, data);
  if (!pts || pts.length !== m.points.length) return false;
  if (pts.some((p, i) => Math.abs(p.x - m.points[i]!.x) > 1e-6 || Math.abs(p.y - m.points[i]!.y) > 1e-6)) return false;
  return toolType !== 'ArrowAnnotate' || (data.text ?? '') === (m.text ?? '');
}

/** Draws the host's list, unless the user is dragging (that would pull the handle from under the mouse). */
function show(list: StudyMeasurements): void {
  if (list.StudyInstanceUID !== study) return;
  if (!setMeasurements(list) && currentMeasurements() !== list) return;
  if (mouseDown) {
    pendingShow = true;
    return;
  }
  showMeasurements(list.measurements);
}

let saving: Promise<unknown> = Promise.resolve();

/** Saves every drawing that differs from the host's list: new ones, moved ones, edited arrow texts. */
export function flush(): Promise<unknown> {
  const uid = study;
  if (!uid) return saving;
  saving = saving.then(async () => {
    const known = new Map((currentMeasurements()?.measurements ?? []).map((m) => [m.trackingUID, m]));
    for (const { imageId, toolType, data } of allToolData()) {
      // An arrow is complete once it has its text; until then it is still being drawn.
      if (toolType === 'ArrowAnnotate' && data.text === undefined) continue;
      // A handle still follows the mouse (an angle's last arm): saved when it is put down.
      if (inProgress(data)) continue;
      const points = pointsOf(toolType, data);
      if (!points) continue;
      const m = data.trackingUID ? known.get(data.trackingUID) : undefined;
      if (m && same(m, toolType, data)) continue;
      const { SOPInstanceUID, frame } = parseImageId(imageId);
      const element = elementShowing(imageId);
      // A new shape too small to be meant (a click that only focused the viewport, a twitch) goes away.
      if (!data.trackingUID && element && degenerate(element, toolType, points)) {
        discard(element, toolType, data);
        continue;
      }
      data.trackingUID ??= newTrackingUID();
      try {
        const list = await services.measurements.saveMeasurement(uid, {
          trackingUID: data.trackingUID,
          toolType,
          image: { SeriesInstanceUID: element?.dataset.seriesUid ?? '', SOPInstanceUID, SOPClassUID: '', frame },
          points,
          ...(toolType === 'ArrowAnnotate' ? { text: data.text ?? '' } : {}),
          ...(m ? { inReport: m.inReport !== false } : {}),
        });
        setMeasurements(list);
      } catch (e) {
        onError?.(e);
      }
    }
    const after = currentMeasurements();
    if (after) show(after);
  });
  return saving;
}

function discard(element: HTMLElement, toolType: MeasurementToolType, data: ToolData): void {
  (tools as unknown as { removeToolState(e: HTMLElement, name: string, d: ToolData): void }).removeToolState(element, toolType, data);
  cornerstone.updateImage(element);
}

function elementShowing(imageId: string): HTMLElement | undefined {
  for (const e of (cornerstone as unknown as { getEnabledElements(): { element: HTMLElement; image?: { imageId: string } }[] }).getEnabledElements()) {
    if (e.image?.imageId === imageId) return e.element;
  }
  return undefined;
}

function onRemoved(ev: Event): void {
  const d = (ev as CustomEvent<{ measurementData?: ToolData }>).detail;
  const id = d?.measurementData?.trackingUID;
  if (!id || !study) return;
  const uid = study;
  saving = saving.then(() => services.measurements.removeMeasurement(uid, id).then(show, (e) => onError?.(e)));
}

function attach(element: HTMLElement): void {
  // After cornerstone-tools has registered the element (its listener may run after this one).
  queueMicrotask(() => addMeasureToolsToElement(element));
  element.addEventListener(tools.EVENTS.MEASUREMENT_COMPLETED, () => void flush());
  element.addEventListener(tools.EVENTS.MEASUREMENT_REMOVED, onRemoved);
}

// Every viewport element, as cornerstone enables it (the viewer enables them on mount).
let wired = false;
function wire(): void {
  if (wired) return;
  wired = true;
  const cs = cornerstone as unknown as { events: EventTarget; getEnabledElements(): { element: HTMLElement }[] };
  cs.events.addEventListener('cornerstoneelementenabled', (ev) => attach((ev as CustomEvent<{ element: HTMLElement }>).detail.element));
  for (const e of cs.getEnabledElements()) attach(e.element);
  // Moves and resizes end with the button going up: save then, once, not on every mouse move.
  addEventListener('mousedown', () => {
    mouseDown = true;
  }, true);
  addEventListener('mouseup', () => {
    mouseDown = false;
    // After cornerstone-tools has handled this mouseup (it listens on the element).
    setTimeout(() => {
      void flush().then(() => {
        const list = currentMeasurements();
        if (pendingShow && list) {
          pendingShow = false;
          showMeasurements(list.measurements);
        }
      });
    }, 0);
  }, true);
}
wire();

/** Starts following a study: its saved measurements are drawn, and changes from the host follow. */
export function followStudy(StudyInstanceUID: string, errors: (e: unknown) => void): () => void {
  study = StudyInstanceUID;
  onError = errors;
  setMeasurements(undefined);
  let live = true;
  // Listed once the first image is drawn: the study's first image comes before its measurements.
  void afterFirstImage(StudyInstanceUID)
    .then(() => (live ? services.measurements.listMeasurements(StudyInstanceUID) : undefined))
    .then((l) => live && l && show(l), errors);
  const off = services.measurements.onDidChangeMeasurements((e) => {
    if (!live || e.StudyInstanceUID !== StudyInstanceUID) return;
    if ((currentMeasurements()?.revision ?? -1) >= e.revision) return;
    void services.measurements.listMeasurements(StudyInstanceUID).then((l) => live && show(l), errors);
  });
  return () => {
    live = false;
    off();
    if (study === StudyInstanceUID) {
      study = undefined;
      showMeasurements([]);
      setMeasurements(undefined);
    }
  };
}

/** Undo/redo/remove through the host; the returned list is drawn. */
export function command(kind: 'undo' | 'redo'): Promise<void> {
  const uid = study;
  if (!uid) return Promise.resolve();
  const p = saving.then(() => services.measurements[kind](uid).then(show, (e) => onError?.(e)));
  saving = p;
  return p;
}

export function remove(trackingUID: string): Promise<void> {
  const uid = study;
  if (!uid) return Promise.resolve();
  const p = saving.then(() => services.measurements.removeMeasurement(uid, trackingUID).then(show, (e) => onError?.(e)));
  saving = p;
  return p;
}

/** Puts a measurement in the report or leaves it out (one undo step, like any other change). */
export function setInReport(trackingUID: string, inReport: boolean): Promise<void> {
  const uid = study;
  const m = currentMeasurements()?.measurements.find((x) => x.trackingUID === trackingUID);
  if (!uid || !m) return Promise.resolve();
  const input = { trackingUID, toolType: m.toolType, image: m.image, points: m.points, label: m.label, inReport, ...(m.text !== undefined ? { text: m.text } : {}) };
  const p = saving.then(() => services.measurements.saveMeasurement(uid, input).then(show, (e) => onError?.(e)));
  saving = p;
  return p;
}
