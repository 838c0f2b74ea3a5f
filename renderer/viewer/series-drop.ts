// A viewport (image or document) as a drop target for series thumbnails (HTML5 drag and drop):
// the thumbnail carries only its Series Instance UID, under a type of its own, so that nothing
// else dragged onto the viewer (files, text) is taken for a series.
import { type DragEvent, useState } from 'react';

/** The drag data type of a series thumbnail: its Series Instance UID (a UID, never patient data). */
export const SERIES_DRAG_TYPE = 'application/x-amur-series';

export function useSeriesDrop(onDropSeries: ((SeriesInstanceUID: string) => void) | undefined, onActivate: () => void) {
  const [dropping, setDropping] = useState(false);
  const accepts = (e: DragEvent<HTMLElement>) => !!onDropSeries && e.dataTransfer.types.includes(SERIES_DRAG_TYPE);
  const handlers = {
    onDragOver: (e: DragEvent<HTMLElement>) => {
      if (!accepts(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      setDropping(true);
    },
    onDragLeave: () => setDropping(false),
    onDrop: (e: DragEvent<HTMLElement>) => {
      setDropping(false);
      const uid = e.dataTransfer.getData(SERIES_DRAG_TYPE);
      if (!uid || !onDropSeries) return;
      e.preventDefault();
      onActivate();
      onDropSeries(uid);
    },
  };
  return { dropping, handlers };
}
