// Opening a study, started before the viewer exists: the worklist calls primeStudy when a row is
// chosen (mouse-down, keyboard focus), so by the time the double click or Enter has changed the
// screen, the series are listed and the first image of the first series is asked for, decoding in
// the host. The viewer then takes what was started instead of starting again. Only the first
// image is fetched here: the rest of the series waits until that image is drawn (the viewport's
// prefetcher), and so do the panels beside it (AI, measurements), which call afterFirstImage.
import cornerstone from 'cornerstone-core';
import type { SeriesSummary, StudySummary } from '../../core/contract/studies';
import { services } from '../shell';
import { imageIdOf } from './image-id';
import { buildImageIds, documentsOf, type Stack } from './stack';

export interface PrimedStudy {
  /** The first series that has images, with its image IDs; its first image is already requested. */
  first: Promise<Stack | undefined>;
  /** Every series with images, in the host's order; `first` is the same object at its place. */
  all: Promise<Stack[]>;
  /** `first`'s value once known, for a viewer that mounts after it (no wait for a promise's turn). */
  firstStack?: Stack;
  /** The worklist's summary of the study, for the overlays, when the worklist had it. */
  summary?: StudySummary;
  /** 'requested' once the first image is asked for, 'loaded' once it is decoded in the page's cache. */
  state: 'listing' | 'requested' | 'loaded' | 'failed';
  at: number;
}

/** A study chosen long ago may have gained images since: a primed study is reused this long. */
const FRESH_MS = 30_000;
/** Only the last few choices are kept (moving through the worklist by keyboard primes every row). */
const KEEP = 4;

const primed = new Map<string, PrimedStudy>();
const listeners = new Set<(StudyInstanceUID: string, state: PrimedStudy['state']) => void>();
let watching = false;

function setState(uid: string, p: PrimedStudy, state: PrimedStudy['state']): void {
  p.state = state;
  for (const l of listeners) l(uid, state);
}

/** Tells `listener` how the first image of a chosen study gets on (the worklist shows it as a data attribute). */
export function onDidChangePrimedStudy(listener: (StudyInstanceUID: string, state: PrimedStudy['state']) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Shows on a worklist row how its study's opening gets on, as data-first-image (listing,
 * requested, loaded, failed): set on the element directly, so that the worklist is not drawn
 * again while the reader's double click is still arriving.
 */
export function showPrimedState(row: HTMLElement, StudyInstanceUID: string): void {
  const p = primed.get(StudyInstanceUID);
  if (!p) return;
  row.dataset.firstImage = p.state;
  if (p.state === 'loaded' || p.state === 'failed') return;
  const off = onDidChangePrimedStudy((uid, state) => {
    if (uid !== StudyInstanceUID) return;
    row.dataset.firstImage = state;
    if (state === 'loaded' || state === 'failed') off();
  });
}

async function listStack(series: SeriesSummary): Promise<Stack | undefined> {
  const instances = await services.studies.listInstances(series.SeriesInstanceUID);
  const imageIds = buildImageIds(instances);
  if (imageIds.length) return { series, imageIds };
  // A series of reports, PDFs or segmentations is shown as a document, after the images.
  const documents = documentsOf(instances);
  return documents.length ? { series, imageIds: [], documents } : undefined;
}

/** A stack that scrolls images (not a document series). */
export const hasImages = (s: Stack | undefined): s is Stack => !!s && s.imageIds.length > 0;

/**
 * Starts opening a study (or returns the opening already under way): its series listed, the first
 * series' instances listed, and its first image requested at once, before the other series are
 * listed. Safe to call on every choice of a row.
 */
export function primeStudy(StudyInstanceUID: string, summary?: StudySummary): PrimedStudy {
  const had = primed.get(StudyInstanceUID);
  if (had && had.state !== 'failed' && Date.now() - had.at < FRESH_MS) {
    had.summary ??= summary;
    return had;
  }
  if (!watching) {
    watching = true;
    // An import or a deletion may change what a study holds: start afresh on the next choice.
    services.studies.onDidChangeStudies(() => primed.clear());
  }
  const series = services.studies.listSeries(StudyInstanceUID);
  let resolveFirst!: (s: Stack | undefined) => void;
  const first = new Promise<Stack | undefined>((resolve) => {
    resolveFirst = resolve;
  });
  const p: PrimedStudy = { first, all: Promise.resolve([]), summary, state: 'listing', at: Date.now() };
  let requested: string | undefined;
  const requestFirst = (imageId: string) => {
    if (requested === imageId) return;
    requested = imageId;
    setState(StudyInstanceUID, p, 'requested');
    cornerstone.loadAndCacheImage(imageId).then(
      () => requested === imageId && setState(StudyInstanceUID, p, 'loaded'),
      () => requested === imageId && setState(StudyInstanceUID, p, 'failed'), // the viewport shows the image's own error
    );
  };
  p.all = (async () => {
    const list = await series;
    // The host names each series' first image: it is asked for now, while the instances of its
    // series are still being listed (for a long series the listing costs more than the image).
    const hinted = list.find((s) => s.firstImageUID);
    if (hinted) requestFirst(imageIdOf(hinted.firstImageUID!, 0));
    const stacks: (Stack | undefined)[] = new Array(list.length);
    // The first series with images is listed alone, and its first image asked for, before the rest.
    let k = 0;
    for (; k < list.length; k++) {
      stacks[k] = await listStack(list[k]);
      if (hasImages(stacks[k])) break;
    }
    const firstStack = hasImages(stacks[k]) ? stacks[k] : undefined;
    p.firstStack = firstStack;
    resolveFirst(firstStack);
    // (The same image when the hint was right: cornerstone's cache holds one request per image.)
    if (firstStack) requestFirst(firstStack.imageIds[0]);
    const rest = await Promise.all(list.slice(k + 1).map(listStack));
    rest.forEach((s, i) => {
      stacks[k + 1 + i] = s;
    });
    // Images first, in the host's order, then the documents (reports, PDFs, segmentations).
    const all = stacks.filter((s): s is Stack => !!s);
    return [...all.filter(hasImages), ...all.filter((s) => !hasImages(s))];
  })();
  p.all.catch(() => {
    resolveFirst(undefined);
    setState(StudyInstanceUID, p, 'failed');
  });
  primed.delete(StudyInstanceUID);
  primed.set(StudyInstanceUID, p);
  while (primed.size > KEEP) primed.delete(primed.keys().next().value!);
  return p;
}

const firstImage = new Map<string, { promise: Promise<void>; resolve(): void }>();

function gate(StudyInstanceUID: string) {
  let g = firstImage.get(StudyInstanceUID);
  if (!g) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    g = { promise, resolve };
    firstImage.set(StudyInstanceUID, g);
  }
  return g;
}

/** The most a panel waits for the first image before it loads anyway (a slow or failing image). */
const PANEL_WAIT_MS = 1500;

/**
 * Resolves once the open study's first image is drawn (or could not be, or after a short wait):
 * what the viewer shows beside the image loads then, so it never competes with the first image.
 */
export function afterFirstImage(StudyInstanceUID: string): Promise<void> {
  const g = gate(StudyInstanceUID);
  const timer = new Promise<void>((resolve) => setTimeout(resolve, PANEL_WAIT_MS));
  return Promise.race([g.promise, timer]);
}

/** The viewer says its first image is settled (drawn, failed, or the study has none). */
export function firstImageSettled(StudyInstanceUID: string): void {
  gate(StudyInstanceUID).resolve();
}

/** The viewer closes the study: the next opening waits for its own first image. */
export function forgetFirstImage(StudyInstanceUID: string): void {
  firstImage.delete(StudyInstanceUID);
}
