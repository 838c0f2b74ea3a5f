// Image IDs of the `amur:` loader: the SOP Instance UID and the 0-based frame. UIDs only, never
// patient data, since cornerstone keeps image IDs in its cache and events.
export const SCHEME = 'amur';

export function imageIdOf(SOPInstanceUID: string, frame: number): string {
  return `${SCHEME}:${SOPInstanceUID}:${frame}`;
}

export function parseImageId(imageId: string): { SOPInstanceUID: string; frame: number } {
  const [, SOPInstanceUID, frame] = imageId.split(':');
  return { SOPInstanceUID, frame: Number(frame) };
}
