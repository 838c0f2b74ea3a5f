// Linked scrolling: when the active viewport draws an image, every other viewport showing a
// series of the same Frame of Reference, in (nearly) the same orientation, goes to its slice
// nearest that image by position along the normal (not by index: the series may differ in
// count, order or spacing). The planes of a series come from the host's headers, once per series.
import type { ImagePixelModule } from '../../core/contract/imaging';
import { services } from '../shell';
import { linkedSlice, planeGeometry, type PlaneGeometry } from './geometry';
import { parseImageId } from './image-id';
import type { Stack } from './stack';
import { planeOfModule } from './ViewOverlays';

const planesBySeries = new Map<string, Promise<(PlaneGeometry | undefined)[]>>();

/** The plane of each image of a stack, in the stack's order (frames of multi-frame instances too). */
export function stackPlanes(stack: Stack): Promise<(PlaneGeometry | undefined)[]> {
  const key = stack.series.SeriesInstanceUID;
  let p = planesBySeries.get(key);
  if (!p) {
    const ids = stack.imageIds.map(parseImageId);
    const uids = [...new Set(ids.map((i) => i.SOPInstanceUID))];
    p = services.imaging.getImagePlanes(uids).then((planes) => {
      const byImage = new Map(planes.map((pl) => [`${pl.SOPInstanceUID}:${pl.frame}`, planeGeometry(pl)]));
      return ids.map((i) => byImage.get(`${i.SOPInstanceUID}:${i.frame}`));
    });
    p.catch(() => planesBySeries.delete(key));
    planesBySeries.set(key, p);
    // A handful of series is all a reading session links; older ones are dropped.
    while (planesBySeries.size > 16) planesBySeries.delete(planesBySeries.keys().next().value!);
  }
  return p;
}

/**
 * The index each other viewport should show for the active one's drawn image, or undefined where
 * it is not linked (another frame of reference, another orientation, not covering the position).
 */
export async function linkedIndices(active: ImagePixelModule, others: (Stack | undefined)[]): Promise<(number | undefined)[]> {
  const source = planeOfModule(active);
  if (!source?.FrameOfReferenceUID) return others.map(() => undefined);
  return Promise.all(
    others.map(async (stack) => {
      if (!stack || stack.imageIds.length === 0) return undefined;
      // A slice farther than 10 mm means the series does not cover this position.
      return linkedSlice(source, await stackPlanes(stack).catch(() => []), 10);
    }),
  );
}
