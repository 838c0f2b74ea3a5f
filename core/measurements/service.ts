// The MeasurementService of the contract: a study's measurements saved in the store as the
// radiologist draws them, their values computed here from the image's decoded pixels (one
// computation for every screen and for the SR), undo/redo, and the TID 1500 export.
import { audit } from '../audit/index.js';
import { AmurError } from '../common/errors.js';
import type { ImageFrame } from '../contract/imaging.js';
import {
  MEASUREMENT_TOOL_TYPES,
  POINTS_PER_TOOL,
  type ExportedFile,
  type MeasurementInput,
  type MeasurementService,
  type StudyMeasurement,
  type StudyMeasurements,
} from '../contract/measurements.js';
import { studyReferenceFromStore } from '../reports/study.js';
import type { StudyStore } from '../store/store.js';
import { Emitter } from '../common/emitter.js';
import { framePixels, measure, type FramePixels } from './compute.js';
import { MeasurementRepository } from './repository.js';
import { writeMeasurementReport } from './tid1500.js';

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
/** Tracking Identifier is written as TEXT, but shown in lists: keep it a short label (LO's 64). */
const MAX_LABEL = 64;
const MAX_TEXT = 1024;
/** Points may lie a little outside the image (a handle dragged past the edge), not anywhere. */
const MAX_COORDINATE = 1e5;

export interface LocalMeasurementServiceOptions {
  /** Decodes a frame (0-based) of a stored instance: the imaging service's getImageFrame. */
  getImageFrame(SOPInstanceUID: string, frame: number): Promise<ImageFrame>;
  now?: () => Date;
}

export class LocalMeasurementService implements MeasurementService {
  private readonly repo: MeasurementRepository;
  private readonly changed = new Emitter<{ StudyInstanceUID: string; revision: number }>();
  readonly onDidChangeMeasurements = this.changed.event;
  /** The last few frames measured on: a handle dragged on one image re-measures the same pixels. */
  private readonly frames = new Map<string, Promise<FramePixels>>();
  /** Changes of one study run one after another, so a slow decode cannot reorder two saves. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(store: StudyStore, private readonly options: LocalMeasurementServiceOptions, private readonly storeRef = store) {
    this.repo = new MeasurementRepository(store);
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private serial<T>(StudyInstanceUID: string, job: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(StudyInstanceUID) ?? Promise.resolve();
    const next = prev.then(job, job);
    const settled = next.then(() => undefined, () => undefined);
    this.queues.set(StudyInstanceUID, settled);
    void settled.then(() => {
      if (this.queues.get(StudyInstanceUID) === settled) this.queues.delete(StudyInstanceUID);
    });
    return next;
  }

  private frame(SOPInstanceUID: string, frame: number): Promise<FramePixels> {
    const key = `${SOPInstanceUID}/${frame}`;
    let hit = this.frames.get(key);
    if (!hit) {
      hit = this.options.getImageFrame(SOPInstanceUID, frame).then(framePixels);
      hit.catch(() => this.frames.delete(key));
      this.frames.set(key, hit);
      while (this.frames.size > 4) this.frames.delete(this.frames.keys().next().value!);
    }
    return hit;
  }

  private emit(list: StudyMeasurements): StudyMeasurements {
    this.changed.fire({ StudyInstanceUID: list.StudyInstanceUID, revision: list.revision });
    return list;
  }

  async listMeasurements(StudyInstanceUID: string): Promise<StudyMeasurements> {
    return this.repo.list(StudyInstanceUID);
  }

  /** Checks what arrives over IPC: shape, sizes, and that the image belongs to the study. */
  private check(StudyInstanceUID: string, studyId: number, input: MeasurementInput) {
    const bad = (field: string): never => {
      throw new AmurError('measurements.badInput', { study: StudyInstanceUID, field });
    };
    if (!input || typeof input !== 'object') bad('(input)');
    if (typeof input.trackingUID !== 'string' || input.trackingUID.length > 64 || !UID.test(input.trackingUID)) bad('trackingUID');
    if (!MEASUREMENT_TOOL_TYPES.includes(input.toolType)) bad('toolType');
    const pts = input.points;
    if (!Array.isArray(pts) || pts.length !== POINTS_PER_TOOL[input.toolType]) bad('points');
    for (const p of pts) {
      if (!p || ![p.x, p.y].every((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_COORDINATE)) bad('points');
    }
    if (input.label !== undefined && (typeof input.label !== 'string' || input.label.length > MAX_LABEL)) bad('label');
    if (input.text !== undefined && (typeof input.text !== 'string' || input.text.length > MAX_TEXT)) bad('text');
    if (input.inReport !== undefined && typeof input.inReport !== 'boolean') bad('inReport');
    const img = input.image;
    if (!img || typeof img.SOPInstanceUID !== 'string') bad('image');
    const found = this.repo.instanceOf(studyId, img.SOPInstanceUID);
    if (!found) throw new AmurError('measurements.imageNotInStudy', { study: StudyInstanceUID, SOPInstanceUID: String(img.SOPInstanceUID).slice(0, 64) });
    if (!Number.isInteger(img.frame) || img.frame < 0 || img.frame >= Math.max(1, found.NumberOfFrames)) bad('image.frame');
    if (this.repo.usedElsewhere(studyId, input.trackingUID)) bad('trackingUID');
    return found;
  }

  saveMeasurement(StudyInstanceUID: string, input: MeasurementInput): Promise<StudyMeasurements> {
    return this.serial(StudyInstanceUID, async () => {
      const studyId = this.repo.studyId(StudyInstanceUID);
      const found = this.check(StudyInstanceUID, studyId, input);
      const frame = await this.frame(input.image.SOPInstanceUID, input.image.frame);
      const values = measure(input.toolType, input.points, frame);
      const previous = this.repo.get(studyId, input.trackingUID)?.m;
      if (previous && previous.toolType !== input.toolType) {
        throw new AmurError('measurements.badInput', { study: StudyInstanceUID, field: 'toolType' });
      }
      const now = this.now();
      const label = input.label?.trim() || previous?.label || `M${this.repo.nextLabelNumber(studyId)}`;
      const m: StudyMeasurement = {
        StudyInstanceUID,
        trackingUID: input.trackingUID,
        toolType: input.toolType,
        label,
        // The SOP class and series are the store's, not the caller's word.
        image: { SeriesInstanceUID: found.SeriesInstanceUID, SOPInstanceUID: input.image.SOPInstanceUID, SOPClassUID: found.SOPClassUID, frame: input.image.frame },
        points: input.points.map((p) => ({ x: p.x, y: p.y })),
        values,
        inReport: input.inReport ?? previous?.inReport ?? true,
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
      };
      if (input.toolType === 'ArrowAnnotate') m.text = input.text ?? previous?.text ?? '';
      this.repo.change(studyId, input.trackingUID, m);
      return this.emit(this.repo.list(StudyInstanceUID, studyId));
    });
  }

  removeMeasurement(StudyInstanceUID: string, trackingUID: string): Promise<StudyMeasurements> {
    return this.serial(StudyInstanceUID, async () => {
      const studyId = this.repo.studyId(StudyInstanceUID);
      if (!this.repo.get(studyId, trackingUID)) return this.repo.list(StudyInstanceUID, studyId);
      this.repo.change(studyId, trackingUID, undefined);
      return this.emit(this.repo.list(StudyInstanceUID, studyId));
    });
  }

  private step(StudyInstanceUID: string, direction: 'undo' | 'redo'): Promise<StudyMeasurements> {
    return this.serial(StudyInstanceUID, async () => {
      const studyId = this.repo.studyId(StudyInstanceUID);
      const moved = this.repo.step(studyId, direction);
      const list = this.repo.list(StudyInstanceUID, studyId);
      return moved ? this.emit(list) : list;
    });
  }

  undo(StudyInstanceUID: string): Promise<StudyMeasurements> {
    return this.step(StudyInstanceUID, 'undo');
  }

  redo(StudyInstanceUID: string): Promise<StudyMeasurements> {
    return this.step(StudyInstanceUID, 'redo');
  }

  async exportMeasurementReport(StudyInstanceUID: string): Promise<ExportedFile> {
    const list = this.repo.list(StudyInstanceUID);
    if (list.measurements.length === 0) throw new AmurError('measurements.nothingToExport', { study: StudyInstanceUID });
    const study = studyReferenceFromStore(this.storeRef, StudyInstanceUID);
    const bytes = writeMeasurementReport(study, list.measurements, new Date(this.now()));
    audit(this.storeRef.home, { action: 'study.export', outcome: 'success', role: 'reader', studies: [StudyInstanceUID],
      detail: { object: 'TID 1500 measurement report', measurements: list.measurements.length } });
    // The file name carries no patient data: it may end up in a downloads folder or a log.
    return { fileName: 'measurements-sr.dcm', mediaType: 'application/dicom', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }
}
