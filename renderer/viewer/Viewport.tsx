// One cornerstone viewport showing a stack: scrolling, window/level, view transforms and cine, with
// the overlays a radiologist expects in its corners. The element's data-sop-instance-uid and
// data-image-index change only when cornerstone reports the image drawn (IMAGE_RENDERED), so an
// automated check that reads them knows the pixels on the canvas are that image's.
import cornerstone, { type ImageRenderedDetail, type Viewport as CsViewport } from 'cornerstone-core';
import { forwardRef, useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ImagePixelModule } from '../../core/contract/imaging';
import type { StudySummary } from '../../core/contract/studies';
import { errorText } from '../app/i18n';
import { formatStudyDate } from '../worklist/format';
import { personNameParts } from '../worklist/person-name';
import { defaultWindow, parseImageId, pixelModuleOf } from './loader';
import type { PlaneGeometry } from './geometry';
import { markersOf, OrientationMarkers, ReferenceLine, ScaleBar } from './ViewOverlays';
import { Prefetcher } from './prefetch';
import { useSeriesDrop } from './series-drop';
import type { WindowPreset } from './presets';
import { cacheMegabytes } from './setup';
import type { Stack } from './stack';

export interface ViewportHandle {
  scrollBy(delta: number, wrap?: boolean): void;
  scrollTo(index: number): void;
  applyPreset(p: WindowPreset | 'own'): void;
  invert(): void;
  rotate(degrees: number): void;
  flip(axis: 'h' | 'v'): void;
  fit(): void;
  reset(): void;
  length(): number;
  /** The window shown and the image's range in modality units (for the toolbar's presets), once drawn. */
  view(): { windowWidth: number; windowCenter: number; min: number; max: number; own: { windowWidth: number; windowCenter: number } } | undefined;
}

interface Props {
  stack?: Stack;
  study?: StudySummary;
  active: boolean;
  position: number;
  onActivate(): void;
  /** Cine: frames per second while playing, 0 when stopped. */
  cineFps: number;
  /** Called after each drawn image (the viewer starts its thumbnails after the first). */
  onDrawn?(module: ImagePixelModule | undefined): void;
  /** The active viewport's image plane, drawn here as a reference line where it cuts this image. */
  referencePlane?: PlaneGeometry;
  /** A series thumbnail was dropped here (HTML5 drag and drop): show that series in this viewport. */
  onDropSeries?(SeriesInstanceUID: string): void;
}

export { SERIES_DRAG_TYPE } from './series-drop';

interface Shown {
  index: number;
  module?: ImagePixelModule;
  viewport?: CsViewport;
}

export const Viewport = forwardRef<ViewportHandle, Props>(function Viewport(
  { stack, study, active, position, onActivate, cineFps, onDrawn, referencePlane, onDropSeries },
  ref,
) {
  const { t, i18n } = useTranslation();
  const elRef = useRef<HTMLDivElement>(null);
  const indexRef = useRef(0);
  const seqRef = useRef(0);
  const firstRef = useRef(true);
  const drawnRef = useRef(true);
  const [shown, setShown] = useState<Shown | undefined>();
  const [error, setError] = useState<string | undefined>();
  const imageIds = useMemo(() => stack?.imageIds ?? [], [stack]);
  const indexOf = useMemo(() => new Map(imageIds.map((id, i) => [id, i])), [imageIds]);
  const indexOfRef = useRef(indexOf);
  indexOfRef.current = indexOf;
  const onDrawnRef = useRef(onDrawn);
  onDrawnRef.current = onDrawn;
  const prefetcher = useRef<Prefetcher | undefined>(undefined);

  const display = useCallback(
    (index: number) => {
      const el = elRef.current;
      if (!el || imageIds.length === 0) return;
      const i = Math.max(0, Math.min(imageIds.length - 1, index));
      indexRef.current = i;
      const seq = ++seqRef.current;
      drawnRef.current = false;
      cornerstone.loadAndCacheImage(imageIds[i]).then(
        (image) => {
          // A later request won: this image is no longer the one asked for.
          if (seq !== seqRef.current || !elRef.current) return;
          setError(undefined);
          if (firstRef.current) {
            firstRef.current = false;
            cornerstone.displayImage(el, image);
            cornerstone.fitToWindow(el);
          } else {
            cornerstone.displayImage(el, image, cornerstone.getViewport(el));
          }
        },
        (e: unknown) => {
          if (seq !== seqRef.current) return;
          drawnRef.current = true;
          setError(errorText(e));
        },
      );
    },
    [imageIds],
  );

  // Enable the element once; cornerstone puts its canvas inside.
  useEffect(() => {
    const el = elRef.current!;
    cornerstone.enable(el);
    const onRendered = (ev: Event) => {
      const d = (ev as CustomEvent<ImageRenderedDetail>).detail;
      const index = indexOfRef.current.get(d.image.imageId);
      if (index === undefined) return;
      drawnRef.current = true;
      el.dataset.sopInstanceUid = parseImageId(d.image.imageId).SOPInstanceUID;
      el.dataset.imageIndex = String(index);
      // How long cornerstone took to draw it: read by the viewer benchmark, harmless to anyone else.
      el.dataset.renderMs = d.renderTimeInMs.toFixed(2);
      const module = pixelModuleOf(d.image.imageId);
      // Where the image lies in the patient (mm), for checks of linked scrolling.
      if (module?.ImagePositionPatient) el.dataset.imagePosition = module.ImagePositionPatient.join('\\');
      else delete el.dataset.imagePosition;
      setShown({ index, module, viewport: { ...d.viewport } });
      onDrawnRef.current?.(module);
      // The neighbours are fetched once this image is on screen, never before: the first image of
      // a study has the host's decoders and the connection to itself.
      prefetcher.current?.setCenter(index);
    };
    el.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
    const resize = new ResizeObserver(() => {
      if (cornerstone.getImage(el)) cornerstone.resize(el, true);
    });
    resize.observe(el);
    return () => {
      el.removeEventListener(cornerstone.EVENTS.IMAGE_RENDERED, onRendered);
      resize.disconnect();
      cornerstone.disable(el);
    };
  }, []);

  // A new stack starts at its first image with a fresh view.
  useEffect(() => {
    const el = elRef.current!;
    delete el.dataset.sopInstanceUid;
    delete el.dataset.imageIndex;
    firstRef.current = true;
    setShown(undefined);
    prefetcher.current?.stop();
    if (imageIds.length === 0) return;
    prefetcher.current = new Prefetcher(imageIds, () => {
      // Half of the cache for the neighbours on each side, judged from the image on screen.
      const img = cornerstone.getImage(el);
      const size = img?.sizeInBytes ?? 512 * 512 * 2;
      return Math.max(2, Math.floor((cacheMegabytes() * 1024 * 1024) / size / 2) - 1);
    });
    display(0);
    return () => prefetcher.current?.stop();
  }, [imageIds, display]);

  // The wheel scrolls; it must not scroll the page, so the listener is not passive.
  useEffect(() => {
    const el = elRef.current!;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      if (e.deltaY !== 0) display(indexRef.current + Math.sign(e.deltaY));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [display]);

  // Cine: the next image is asked for only once the previous one is drawn, so a slow decode
  // lowers the rate instead of piling up requests.
  useEffect(() => {
    if (!cineFps || imageIds.length < 2) return;
    const timer = setInterval(() => {
      if (!drawnRef.current) return;
      display((indexRef.current + 1) % imageIds.length);
    }, 1000 / cineFps);
    return () => clearInterval(timer);
  }, [cineFps, imageIds, display]);

  const updateViewport = useCallback((change: (v: CsViewport) => Partial<CsViewport>) => {
    const el = elRef.current;
    if (!el || !cornerstone.getImage(el)) return;
    const v = cornerstone.getViewport(el)!;
    cornerstone.setViewport(el, { ...v, ...change(v) });
  }, []);

  useImperativeHandle(
    ref,
    () => ({
      scrollBy: (delta, wrap) => {
        const n = imageIds.length;
        if (!n) return;
        const next = indexRef.current + delta;
        display(wrap ? ((next % n) + n) % n : next);
      },
      scrollTo: (index) => display(index),
      applyPreset: (p) =>
        updateViewport((v) => {
          if (p !== 'own') return { voi: { windowWidth: p.windowWidth, windowCenter: p.windowCenter }, voiLUT: undefined };
          const el = elRef.current!;
          const img = cornerstone.getImage(el)!;
          const m = pixelModuleOf(img.imageId);
          const own = m && !img.color ? defaultWindow(m, img.minPixelValue, img.maxPixelValue) : { windowCenter: img.windowCenter, windowWidth: img.windowWidth };
          return { voi: { windowWidth: own.windowWidth, windowCenter: own.windowCenter }, voiLUT: img.voiLUT ?? v.voiLUT };
        }),
      invert: () => updateViewport((v) => ({ invert: !v.invert })),
      rotate: (deg) => updateViewport((v) => ({ rotation: (((v.rotation + deg) % 360) + 360) % 360 })),
      flip: (axis) => updateViewport((v) => (axis === 'h' ? { hflip: !v.hflip } : { vflip: !v.vflip })),
      fit: () => {
        const el = elRef.current;
        if (el && cornerstone.getImage(el)) cornerstone.fitToWindow(el);
      },
      reset: () => {
        const el = elRef.current;
        if (!el || !cornerstone.getImage(el)) return;
        cornerstone.reset(el);
        cornerstone.fitToWindow(el);
      },
      length: () => imageIds.length,
      view: () => {
        const el = elRef.current;
        const img = el && cornerstone.getImage(el);
        const v = img && cornerstone.getViewport(el);
        if (!img || !v) return undefined;
        const a = img.minPixelValue * img.slope + img.intercept;
        const b = img.maxPixelValue * img.slope + img.intercept;
        return {
          windowWidth: v.voi.windowWidth,
          windowCenter: v.voi.windowCenter,
          min: Math.min(a, b),
          max: Math.max(a, b),
          own: { windowWidth: img.windowWidth, windowCenter: img.windowCenter },
        };
      },
    }),
    [imageIds, display, updateViewport],
  );

  const locale = i18n.language;
  const num = (v: number, digits = 1) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(v);
  const m = shown?.module;
  const vp = shown?.viewport;
  const markers = markersOf(m, vp);
  const { dropping, handlers: dropHandlers } = useSeriesDrop(onDropSeries, onActivate);
  const name = study ? personNameParts(study.PatientName) : undefined;

  return (
    <div
      className={`viewport-frame${active ? ' active' : ''}${dropping ? ' drop-target' : ''}`}
      data-position={position}
      {...dropHandlers}
    >
      <div
        ref={elRef}
        className="viewport-element"
        data-testid={active ? 'viewport' : 'viewport-inactive'}
        data-series-uid={stack?.series.SeriesInstanceUID}
        onMouseEnter={onActivate}
        onMouseDown={onActivate}
        onContextMenu={(e) => e.preventDefault()}
      />
      <div className="viewport-overlay" data-testid="viewport-overlay">
        <div className="corner top-left">
          {name && <div data-testid="overlay-patient-name">{[name.ideographic, name.alphabetic].filter(Boolean).join(' ')}</div>}
          {study && <div>{study.PatientID}</div>}
          {study && <div>{[study.PatientSex, formatStudyDate(study.PatientBirthDate, '', locale)].filter(Boolean).join(' ')}</div>}
        </div>
        <div className="corner top-right">
          {study && <div>{study.StudyDescription}</div>}
          {study && <div>{formatStudyDate(study.StudyDate, study.StudyTime, locale)}</div>}
          {stack && <div>{[stack.series.Modality, stack.series.SeriesDescription].filter(Boolean).join(' ')}</div>}
        </div>
        <div className="corner bottom-left">
          {shown && <div data-testid="overlay-image">{t('ui.viewer.overlay.image', { index: num(shown.index + 1), total: num(imageIds.length) })}</div>}
          {m && m.NumberOfFrames > 1 && <div>{t('ui.viewer.overlay.frame', { frame: num(m.frame + 1), frames: num(m.NumberOfFrames) })}</div>}
          {m?.SliceLocation !== undefined && <div>{t('ui.viewer.overlay.sliceLocation', { value: num(m.SliceLocation, 2) })}</div>}
          {m?.SliceThickness !== undefined && <div>{t('ui.viewer.overlay.sliceThickness', { value: num(m.SliceThickness, 2) })}</div>}
        </div>
        <div className="corner bottom-right">
          {vp && (
            <div data-testid="overlay-window">
              {t('ui.viewer.overlay.window', { width: num(vp.voi.windowWidth, 0), center: num(vp.voi.windowCenter, 0) })}
            </div>
          )}
          {vp && <div>{t('ui.viewer.overlay.zoom', { percent: new Intl.NumberFormat(locale, { style: 'percent' }).format(vp.scale) })}</div>}
          {!shown && imageIds.length > 0 && !error && <div>{t('ui.viewer.overlay.loadingImage')}</div>}
        </div>
        {markers && <OrientationMarkers markers={markers} source={m?.ImageOrientationPatient ? 'ImageOrientationPatient' : 'PatientOrientation'} />}
        {m && vp && <ScaleBar module={m} viewport={vp} width={elRef.current?.clientWidth ?? 0} />}
        {m && vp && referencePlane && !active && <ReferenceLine element={elRef.current} module={m} source={referencePlane} viewport={vp} />}
        {dropping && <div className="viewport-drop-hint">{t('ui.viewer.drop')}</div>}
        {error && <div className="viewport-error" role="alert">{t('ui.viewer.error', { reason: error })}</div>}
      </div>
    </div>
  );
});
