// The open study's measurements as the renderer knows them: the host's list (the truth, saved in
// the store) mirrored here for the toolbar, the list panel and the report editor, which subscribe.
import { useSyncExternalStore } from 'react';
import type { StudyMeasurements } from '../../../core/contract/measurements';

let current: StudyMeasurements | undefined;
const listeners = new Set<() => void>();

export function currentMeasurements(): StudyMeasurements | undefined {
  return current;
}

/** Takes a list from the host unless an older revision arrives after a newer one. */
export function setMeasurements(list: StudyMeasurements | undefined): boolean {
  if (list && current && list.StudyInstanceUID === current.StudyInstanceUID && list.revision < current.revision) return false;
  current = list;
  for (const l of [...listeners]) l();
  return true;
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The measurements of `StudyInstanceUID`, or undefined until they have loaded. */
export function useMeasurements(StudyInstanceUID: string): StudyMeasurements | undefined {
  const list = useSyncExternalStore(subscribe, currentMeasurements);
  return list?.StudyInstanceUID === StudyInstanceUID ? list : undefined;
}
