// Measurements and annotations as plain data, the way OHIF v3 models them: no cornerstone here.
// The viewer maps these to and from cornerstone-tools' state (renderer/viewer/measure/); the host
// keeps them per study in the store, computes their values from the decoded pixels (so a value is
// the same whichever screen drew it) and exports them as a DICOM SR TID 1500 Measurement Report.
//
// Coordinates are image pixel coordinates as DICOM SCOORD writes them (PS3.3 C.18.6.1.1): x is the
// column and y the row, (0,0) is the top-left corner of the top-left pixel, so its centre is
// (0.5,0.5). cornerstone-tools uses the same convention, so no conversion is needed either way.
import type { Event } from './event.js';

export type MeasurementToolType = 'Length' | 'Angle' | 'EllipticalRoi' | 'RectangleRoi' | 'ArrowAnnotate' | 'Probe';

export const MEASUREMENT_TOOL_TYPES: readonly MeasurementToolType[] = ['Length', 'Angle', 'EllipticalRoi', 'RectangleRoi', 'ArrowAnnotate', 'Probe'];

/** How many points each tool has: Length 2 ends; Angle 3 (the vertex second); ROIs 2 opposite corners of the bounding box; Arrow tip then tail; Probe 1. */
export const POINTS_PER_TOOL: Record<MeasurementToolType, number> = {
  Length: 2, Angle: 3, EllipticalRoi: 2, RectangleRoi: 2, ArrowAnnotate: 2, Probe: 1,
};

export interface ImagePoint {
  x: number;
  y: number;
}

/** The image a measurement was made on. frame is 0-based, as in ImagingService.getImageFrame. */
export interface MeasuredImage {
  SeriesInstanceUID: string;
  SOPInstanceUID: string;
  SOPClassUID: string;
  frame: number;
}

export type MeasuredQuantity = 'length' | 'angle' | 'area' | 'mean' | 'stdDev' | 'min' | 'max' | 'value';

/**
 * Units as UCUM writes them where one exists: mm, mm2, deg, [hnsf'U] is spelled 'HU' here; '1' is a
 * stored value with no unit (an image without a rescale type); 'px'/'px2' when the image has no
 * Pixel Spacing, so that a distance in pixels is never shown as millimetres.
 */
export type MeasuredUnit = 'mm' | 'mm2' | 'deg' | 'HU' | '1' | 'px' | 'px2';

export interface MeasuredValue {
  quantity: MeasuredQuantity;
  value: number;
  unit: MeasuredUnit;
}

/** What the viewer sends when a measurement is drawn or edited. */
export interface MeasurementInput {
  /** Tracking Unique Identifier (a DICOM UID), chosen by whoever draws it so that retries are idempotent. */
  trackingUID: string;
  toolType: MeasurementToolType;
  image: MeasuredImage;
  points: ImagePoint[];
  /** Tracking Identifier shown to the radiologist; the host names it ("Length 1") when empty. */
  label?: string;
  /** The arrow's text. */
  text?: string;
  /**
   * Whether the radiologist puts this measurement in the report (its measurement groups, PDF and
   * SR); when left out, the measurement keeps what it had before (a new one goes in).
   */
  inReport?: boolean;
}

export interface StudyMeasurement extends Required<Omit<MeasurementInput, 'text' | 'inReport'>> {
  StudyInstanceUID: string;
  text?: string;
  /** false when the radiologist left it out of the report; absent (stored before the choice existed) means in. */
  inReport?: boolean;
  /** Computed by the host from the image's decoded pixels and its Pixel Spacing and rescale. */
  values: MeasuredValue[];
  /** ISO 8601 UTC. */
  createdAt: string;
  updatedAt: string;
}

/** A study's measurements, in the order they were drawn, and whether an undo or redo is possible. */
export interface StudyMeasurements {
  StudyInstanceUID: string;
  measurements: StudyMeasurement[];
  canUndo: boolean;
  canRedo: boolean;
  /** Grows with every change (including undo and redo), so a view can tell it is up to date. */
  revision: number;
}

/** A file made for the user to save (the browser shell offers it as a download). */
export interface ExportedFile {
  fileName: string;
  mediaType: string;
  bytes: Uint8Array;
}

export interface MeasurementService {
  listMeasurements(StudyInstanceUID: string): Promise<StudyMeasurements>;
  /** Adds a measurement, or replaces the one with the same trackingUID; each call is one undo step. */
  saveMeasurement(StudyInstanceUID: string, input: MeasurementInput): Promise<StudyMeasurements>;
  removeMeasurement(StudyInstanceUID: string, trackingUID: string): Promise<StudyMeasurements>;
  undo(StudyInstanceUID: string): Promise<StudyMeasurements>;
  redo(StudyInstanceUID: string): Promise<StudyMeasurements>;
  /** The study's measurements as a DICOM SR following TID 1500 (Measurement Report). */
  exportMeasurementReport(StudyInstanceUID: string): Promise<ExportedFile>;
  /** The measurements of a study changed (from any window or tool). */
  onDidChangeMeasurements: Event<{ StudyInstanceUID: string; revision: number }>;
}
