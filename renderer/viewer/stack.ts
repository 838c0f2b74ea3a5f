// A series as the viewer scrolls it: one image ID per frame, instances in Instance Number order
// (then by UID, so equal or missing numbers still give one stable order), frames in their order.
import type { InstanceSummary, SeriesSummary } from '../../core/contract/studies.js';
import { imageIdOf } from './image-id.js';

export interface Stack {
  series: SeriesSummary;
  imageIds: string[];
  /**
   * The instances read as documents rather than scrolled (SR, Encapsulated PDF, segmentation):
   * set on a series that has no images to scroll, which the viewer shows as a document.
   */
  documents?: { SOPInstanceUID: string; SOPClassUID: string }[];
}

const SEGMENTATION = '1.2.840.10008.5.1.4.1.1.66.4';
const ENCAPSULATED_PDF = '1.2.840.10008.5.1.4.1.1.104.1';

/** What the viewer reads as a document: Structured Reports, Encapsulated PDFs, segmentations. */
export function isDocument(i: InstanceSummary): boolean {
  return i.SOPClassUID.startsWith('1.2.840.10008.5.1.4.1.1.88.') || i.SOPClassUID === ENCAPSULATED_PDF || i.SOPClassUID === SEGMENTATION;
}

/**
 * Instances without pixel data (SR, presentation states, key objects) have no Rows; a
 * segmentation has Rows but its frames are label masks, never an image to read on its own.
 */
export function isImage(i: InstanceSummary): boolean {
  return (i.Rows ?? 0) > 0 && (i.Columns ?? 0) > 0 && i.SOPClassUID !== SEGMENTATION;
}

/** A series' documents in Instance Number order, for a series with no images. */
export function documentsOf(instances: InstanceSummary[]): NonNullable<Stack['documents']> {
  return instances
    .filter(isDocument)
    .sort((a, b) => (a.InstanceNumber ?? 0) - (b.InstanceNumber ?? 0) || (a.SOPInstanceUID < b.SOPInstanceUID ? -1 : 1))
    .map((i) => ({ SOPInstanceUID: i.SOPInstanceUID, SOPClassUID: i.SOPClassUID }));
}

export function buildImageIds(instances: InstanceSummary[]): string[] {
  const sorted = instances.filter(isImage).sort((a, b) => {
    const na = a.InstanceNumber ?? Number.MAX_SAFE_INTEGER;
    const nb = b.InstanceNumber ?? Number.MAX_SAFE_INTEGER;
    return na !== nb ? na - nb : a.SOPInstanceUID < b.SOPInstanceUID ? -1 : a.SOPInstanceUID > b.SOPInstanceUID ? 1 : 0;
  });
  const ids: string[] = [];
  for (const i of sorted) {
    const frames = Math.max(1, i.NumberOfFrames ?? 1);
    for (let f = 0; f < frames; f++) ids.push(imageIdOf(i.SOPInstanceUID, f));
  }
  return ids;
}
