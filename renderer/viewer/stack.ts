// A series as the viewer scrolls it: one image ID per frame, instances in Instance Number order
// (then by UID, so equal or missing numbers still give one stable order), frames in their order.
import type { InstanceSummary, SeriesSummary } from '../../core/contract/studies.js';
import { imageIdOf } from './image-id.js';

export interface Stack {
  series: SeriesSummary;
  imageIds: string[];
}

/** Instances without pixel data (SR, presentation states, key objects) have no Rows. */
export function isImage(i: InstanceSummary): boolean {
  return (i.Rows ?? 0) > 0 && (i.Columns ?? 0) > 0;
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
