// The study viewer: series thumbnails, a 1×1 / 1×2 / 2×2 layout of cornerstone viewports, the
// toolbar (tools, window presets, view transforms, cine, cache size) and the keyboard shortcuts,
// which act on the active viewport (the one under the pointer or last clicked).
import cornerstone from 'cornerstone-core';
import { type PointerEvent as ReactPointerEvent, type ReactNode, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ImagePixelModule } from '../../core/contract/imaging';
import type { StudySummary } from '../../core/contract/studies';
import { services } from '../shell';
import { AIPanel, HEATMAP_KEY } from './ai/AIPanel';
import { activePreset, presetKind, presetsFor, rangePreset, type WindowPreset } from './presets';
import { activateTool, CACHE_MB_RANGE, cacheMegabytes, setCacheMegabytes, setupCornerstone, TOOLS, type ToolName } from './setup';
import { afterFirstImage, firstImageSettled, forgetFirstImage, hasImages, primeStudy } from './open-study';
import { DocumentView } from './DocumentView';
import { samePlane, type PlaneGeometry } from './geometry';
import { linkedIndices } from './linking';
import { planeOfModule } from './ViewOverlays';
import type { Stack } from './stack';
import { SERIES_DRAG_TYPE, Viewport, type ViewportHandle } from './Viewport';
import { MeasurePanel, MeasureTools, type MeasurementPlace } from './measure';
import './viewer.css';

export interface ViewerProps {
  StudyInstanceUID: string;
  /** Esc (when nothing else takes it): back to the worklist. */
  onClose?(): void;
  /** What the dock on the right shows below the AI and measurement panels (the report editor). */
  side?: ReactNode;
}

/**
 * The image stays first: with every panel open the viewports keep at least this share of the
 * window's width (the dock's widest is what is left after the series column).
 */
export const MIN_VIEWPORT_SHARE = 0.6;
const DOCK_MIN = 220;
const SERIES_WIDTH = 104;
const SERIES_FOLDED = 28;
/** The dock's width to start with: the panels' own, or with the report a third of the window, within the share left. */
const defaultDock = (withSide: boolean, seriesWidth: number) => Math.min(dockMax(seriesWidth), withSide ? Math.max(360, Math.round(innerWidth * 0.34)) : 240);
const dockMax = (seriesWidth: number) => Math.max(DOCK_MIN, Math.floor(innerWidth * (1 - MIN_VIEWPORT_SHARE)) - seriesWidth - 8);
// The dock's width and what is folded are kept in memory only, for the session.
const remembered = { dock: undefined as number | undefined, dockOpen: true, seriesOpen: true };

// Wire cornerstone when the app loads, not when a study opens: opening a study should cost only
// fetching and drawing its first image.
setupCornerstone();

type Layout = '1x1' | '1x2' | '2x2';
const fileWindowsFrom = (key: string) => {
  const [WindowCenter, WindowWidth, WindowCenterWidthExplanation] = JSON.parse(key) as [number[], number[], string[]];
  return { WindowCenter, WindowWidth, WindowCenterWidthExplanation };
};
const LAYOUT_SIZE: Record<Layout, number> = { '1x1': 1, '1x2': 2, '2x2': 4 };
const CINE_RATES = [2, 5, 10, 15, 20, 30, 60];

/** The shortcuts, as shown in the help panel; the handler below reads the same table. */
const SHORTCUTS: { keys: string[]; label: string }[] = [
  { keys: ['↓'], label: 'next' },
  { keys: ['↑'], label: 'previous' },
  { keys: ['PageDown'], label: 'pageDown' },
  { keys: ['PageUp'], label: 'pageUp' },
  { keys: [']'], label: 'nextSeries' },
  { keys: ['['], label: 'previousSeries' },
  { keys: ['Shift+1', 'Shift+2', 'Shift+4'], label: 'layouts' },
  { keys: ['Home'], label: 'first' },
  { keys: ['End'], label: 'last' },
  { keys: ['wheelKey'], label: 'wheel' },
  { keys: ['1', '…', '8'], label: 'presets' },
  { keys: ['0'], label: 'own' },
  { keys: ['I'], label: 'invert' },
  { keys: ['R', 'L'], label: 'rotate' },
  { keys: ['H', 'V'], label: 'flip' },
  { keys: ['F'], label: 'fit' },
  { keys: ['X'], label: 'reset' },
  { keys: ['C'], label: 'cine' },
  { keys: ['+', '−'], label: 'cineRate' },
  { keys: ['W', 'P', 'Z'], label: 'tools' },
  { keys: [HEATMAP_KEY], label: 'aiHeatmap' },
  { keys: ['mouseKey'], label: 'mouse' },
  { keys: ['?'], label: 'helpKey' },
  { keys: ['Esc'], label: 'escape' },
];
/** Images PageDown and PageUp move by, as the help says. */
const PAGE = 10;
const LAYOUT_KEYS: Record<string, Layout> = { Digit1: '1x1', Digit2: '1x2', Digit4: '2x2' };

/** What a document series holds, for its thumbnail (the same classes as stack.ts reads as documents). */
function documentKindOf(stack: Stack): 'sr' | 'pdf' | 'seg' {
  const c = stack.documents?.[0]?.SOPClassUID ?? '';
  return c === '1.2.840.10008.5.1.4.1.1.104.1' ? 'pdf' : c === '1.2.840.10008.5.1.4.1.1.66.4' ? 'seg' : 'sr';
}

function Thumbnail({ stack, selected, onSelect, load }: { stack: Stack; selected: boolean; onSelect(): void; load: boolean }) {
  const { t } = useTranslation();
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let live = true;
    const middle = stack.imageIds[Math.floor(stack.imageIds.length / 2)];
    // Thumbnails wait until the first image is on screen, so they never delay it.
    if (!middle || !load) return;
    cornerstone.loadAndCacheImage(middle, { prefetch: true }).then(
      (image) => {
        if (live && canvas.current) cornerstone.renderToCanvas(canvas.current, image);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [stack, load]);
  const s = stack.series;
  return (
    <button
      type="button"
      className={`thumbnail${selected ? ' selected' : ''}`}
      data-testid="series-thumbnail"
      data-series-uid={s.SeriesInstanceUID}
      data-kind={stack.documents ? 'document' : 'image'}
      onClick={onSelect}
      draggable
      onDragStart={(e) => {
        // Dropped on a viewport, the series is shown there (Viewport's onDrop).
        e.dataTransfer.setData(SERIES_DRAG_TYPE, s.SeriesInstanceUID);
        e.dataTransfer.effectAllowed = 'copy';
      }}
    >
      {stack.documents ? (
        <span className="thumbnail-document" aria-hidden="true">{documentKindOf(stack).toUpperCase()}</span>
      ) : (
        <canvas ref={canvas} width={96} height={96} />
      )}
      <span className="thumbnail-label">
        {s.SeriesNumber !== null ? t('ui.viewer.seriesLabel', { number: s.SeriesNumber }) : ''} {s.Modality}
      </span>
      <span className="thumbnail-description">{s.SeriesDescription}</span>
      <span className="thumbnail-count">
        {stack.documents ? t(`ui.viewer.document.kind.${documentKindOf(stack)}`) : t('ui.viewer.imagesInSeries', { count: stack.imageIds.length })}
      </span>
    </button>
  );
}

/** What the image cache holds now; its bound is the setting beside it. */
function CacheUsage({ maxMB }: { maxMB: number }) {
  const { t, i18n } = useTranslation();
  const [info, setInfo] = useState(() => cornerstone.imageCache.getCacheInfo());
  useEffect(() => {
    const timer = setInterval(() => setInfo(cornerstone.imageCache.getCacheInfo()), 500);
    return () => clearInterval(timer);
  }, []);
  const mb = (b: number) => new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 0 }).format(b / 1024 / 1024);
  return (
    <span className="cache-usage" data-testid="cache-usage" data-cache-bytes={info.cacheSizeInBytes} data-cache-images={info.numberOfImagesCached}>
      {t('ui.viewer.cache.usage', { used: mb(info.cacheSizeInBytes), max: mb(maxMB * 1024 * 1024) })}
    </span>
  );
}

export function Viewer({ StudyInstanceUID, onClose, side }: ViewerProps) {
  const { t, i18n } = useTranslation();
  // What the worklist already started for this study, if anything: a viewer mounted after the
  // first series was listed draws its viewport at once.
  const [stacks, setStacks] = useState<Stack[] | undefined>(() => {
    const first = primeStudy(StudyInstanceUID).firstStack;
    return first ? [first] : undefined;
  });
  const [study, setStudy] = useState<StudySummary | undefined>(() => primeStudy(StudyInstanceUID).summary);
  const [layout, setLayout] = useState<Layout>('1x1');
  const [assigned, setAssigned] = useState<number[]>([0, 1, 2, 3]);
  const [active, setActive] = useState(0);
  const [tool, setTool] = useState<ToolName>('Wwwc');
  const [cineFps, setCineFps] = useState(10);
  const [playing, setPlaying] = useState(false);
  const [help, setHelp] = useState(false);
  const [cacheMB, setCacheMB] = useState(cacheMegabytes);
  const [firstDrawn, setFirstDrawn] = useState(false);
  const rateFrom = useRef<string | undefined>(undefined);
  // The presets of the active viewport's image: its windows as the file gives them (a JSON key,
  // so that the list is rebuilt only when another file's windows are shown) and the one showing.
  const [fileWindowsKey, setFileWindowsKey] = useState('');
  const [shownPreset, setShownPreset] = useState('');
  const modules = useRef<(ImagePixelModule | undefined)[]>([]);
  const noteWindow = (position: number) => {
    const m = modules.current[position];
    setFileWindowsKey(m ? JSON.stringify([m.WindowCenter, m.WindowWidth, m.WindowCenterWidthExplanation]) : '');
    const v = handles.current[position]?.view();
    if (!v) return setShownPreset('');
    const hit = activePreset(presetsFor(stackFor(position)?.series.Modality, m, v), v) ?? activePreset([{ id: 'own', ...v.own }], v);
    setShownPreset(hit?.id ?? 'custom');
  };
  // A multi-frame loop plays at the rate its instance recommends, to the nearest offered rate.
  const onDrawn = (position: number, m: ImagePixelModule | undefined) => {
    drawnModules.current[position] = m;
    if (position === active) followActive(m);
    showPending(position);
    if (!firstDrawn) firstImageSettled(StudyInstanceUID);
    setFirstDrawn(true);
    modules.current[position] = m;
    if (position === active) noteWindow(position);
    if (position !== active || !m || m.NumberOfFrames < 2 || rateFrom.current === m.SOPInstanceUID) return;
    rateFrom.current = m.SOPInstanceUID;
    const rate = m.RecommendedDisplayFrameRate ?? (m.FrameTime ? 1000 / m.FrameTime : undefined);
    if (rate && rate > 0) setCineFps(CINE_RATES.reduce((best, r) => (Math.abs(r - rate) < Math.abs(best - rate) ? r : best)));
  };
  const handles = useRef<(ViewportHandle | null)[]>([]);
  // Linked scrolling and reference lines follow the active viewport's drawn image.
  const [linked, setLinked] = useState(true);
  const [activePlane, setActivePlane] = useState<PlaneGeometry | undefined>();
  const drawnModules = useRef<(ImagePixelModule | undefined)[]>([]);
  const linkSeq = useRef(0);
  const followActive = (m: ImagePixelModule | undefined) => {
    // One viewport has nothing to link or cut: scrolling it changes no state of the viewer.
    if (LAYOUT_SIZE[layout] < 2) return;
    const plane = planeOfModule(m);
    setActivePlane((prev) => (samePlane(prev, plane) ? prev : plane));
    if (!linked || !m) return;
    const seq = ++linkSeq.current;
    const positions = Array.from({ length: LAYOUT_SIZE[layout] }, (_, p) => p).filter((p) => p !== active);
    void linkedIndices(m, positions.map((p) => stackFor(p))).then((indices) => {
      if (seq !== linkSeq.current) return;
      indices.forEach((index, i) => {
        if (index !== undefined) handles.current[positions[i]]?.scrollTo(index);
      });
    });
  };
  // A thumbnail dropped on a viewport: that series is shown there.
  const showSeriesAt = (position: number, SeriesInstanceUID: string) => {
    const i = stacks?.findIndex((x) => x.series.SeriesInstanceUID === SeriesInstanceUID) ?? -1;
    if (i >= 0) setAssigned((a) => a.map((v, k) => (k === position ? i : v)));
  };
  // A newly active viewport's image becomes the one whose plane the others show.
  useEffect(() => setActivePlane(LAYOUT_SIZE[layout] > 1 ? planeOfModule(drawnModules.current[active]) : undefined), [active, layout]);
  const [moreOpen, setMoreOpen] = useState(false);

  // Every study starts on window/level, on the toolbar and on the left button (the measurement
  // tools disarm themselves too), so a first click in the next study draws nothing.
  useEffect(() => {
    setTool('Wwwc');
    activateTool('Wwwc');
  }, [StudyInstanceUID]);

  // The study's opening was started when its worklist row was chosen (primeStudy); here it is
  // taken over (or started, when the viewer opens without the worklist). The first series is shown
  // as soon as it is listed, the others when they are; the study's summary for the overlays comes
  // from the worklist, or is asked for once the first image is drawn.
  useEffect(() => {
    let live = true;
    const opening = primeStudy(StudyInstanceUID);
    setStacks(opening.firstStack ? [opening.firstStack] : undefined);
    setStudy(opening.summary);
    void opening.first.then((first) => {
      if (live && first) setStacks((s) => s ?? [first]);
    });
    opening.all.then(
      (all) => {
        if (!live) return;
        setStacks(all);
        if (!all.some(hasImages)) firstImageSettled(StudyInstanceUID);
      },
      () => {
        if (!live) return;
        setStacks([]);
        firstImageSettled(StudyInstanceUID);
      },
    );
    if (!opening.summary) {
      void afterFirstImage(StudyInstanceUID)
        .then(() => services.studies.listStudies())
        .then((studies) => live && setStudy(studies.find((x) => x.StudyInstanceUID === StudyInstanceUID)), () => undefined);
    }
    return () => {
      live = false;
      forgetFirstImage(StudyInstanceUID);
    };
  }, [StudyInstanceUID]);

  const count = LAYOUT_SIZE[layout];
  const stackFor = useCallback((position: number) => (stacks?.length ? stacks[Math.min(assigned[position], stacks.length - 1)] : undefined), [stacks, assigned]);
  const current = () => handles.current[active] ?? undefined;

  const chooseTool = (name: ToolName) => {
    setTool(name);
    activateTool(name);
  };
  const modality = stackFor(active)?.series.Modality;
  const presets = useMemo(() => presetsFor(modality, fileWindowsKey ? fileWindowsFrom(fileWindowsKey) : undefined), [modality, fileWindowsKey]);
  useEffect(() => noteWindow(active), [active]);
  // The full-range entry is resolved on the image shown when it is chosen.
  const applyPreset = (p: WindowPreset | 'own') => {
    const v = current()?.view();
    if (p !== 'own' && p.id === 'range' && v) p = rangePreset(v);
    current()?.applyPreset(p);
  };
  const presetLabel = (p: WindowPreset) => {
    if (!p.id.startsWith('file-') && p.id !== 'range') return t(`ui.viewer.preset.${p.id}`);
    if (p.id === 'range') return t('ui.viewer.preset.range');
    const n = (x: number) => new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 1 }).format(x);
    const values = { width: n(p.windowWidth), center: n(p.windowCenter) };
    return p.explanation ? t('ui.viewer.preset.fileNamed', { ...values, name: p.explanation }) : t('ui.viewer.preset.file', values);
  };
  const chooseSeries = (i: number) => setAssigned((a) => a.map((v, k) => (k === active ? i : v)));
  // A measurement pressed in the list: its image in the active viewport, after its series is put
  // there if another one shows (the image is asked for once that series' first one is drawn).
  const pendingPlace = useRef<(MeasurementPlace & { position: number }) | undefined>(undefined);
  const showMeasured = (place: MeasurementPlace) => {
    if (stackFor(active) === stacks?.[place.stack]) return handles.current[active]?.scrollTo(place.image);
    pendingPlace.current = { ...place, position: active };
    chooseSeries(place.stack);
  };
  function showPending(position: number) {
    const p = pendingPlace.current;
    if (!p || p.position !== position || stackFor(position) !== stacks?.[p.stack]) return;
    pendingPlace.current = undefined;
    handles.current[position]?.scrollTo(p.image);
  }
  // ] and [: the next or previous series in the active viewport, in the order of the thumbnails.
  const stepSeries = (dir: 1 | -1) => {
    if (!stacks?.length) return;
    const now = Math.min(assigned[active], stacks.length - 1);
    chooseSeries(Math.max(0, Math.min(stacks.length - 1, now + dir)));
  };
  const changeLayout = (l: Layout) => {
    setLayout(l);
    if (active >= LAYOUT_SIZE[l]) setActive(0);
  };
  const rateStep = (dir: 1 | -1) =>
    setCineFps((f) => {
      const i = CINE_RATES.indexOf(f);
      return CINE_RATES[Math.max(0, Math.min(CINE_RATES.length - 1, (i < 0 ? 2 : i) + dir))];
    });

  // Keys act on the active viewport. Typing in a field (the cache size) is left alone.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      const v = handles.current[active];
      const presetIndex = /^[1-8]$/.test(e.key) ? Number(e.key) - 1 : -1;
      // Letters by the key's place, so that W, P, I, R… work with a Russian or Chinese layout too.
      const key = /^Key[A-Z]$/.test(e.code) && !/^[\x20-\x7e]$/.test(e.key) ? e.code.slice(3).toLowerCase() : e.key;
      let handled = true;
      if (e.shiftKey && LAYOUT_KEYS[e.code]) changeLayout(LAYOUT_KEYS[e.code]);
      else if (e.code === 'BracketRight' || e.code === 'BracketLeft') stepSeries(e.code === 'BracketRight' ? 1 : -1);
      else if (presetIndex >= 0) {
        if (presets[presetIndex]) applyPreset(presets[presetIndex]);
      } else {
        switch (key) {
          case 'ArrowDown': v?.scrollBy(1); break;
          case 'ArrowUp': v?.scrollBy(-1); break;
          case 'PageDown': v?.scrollBy(PAGE); break;
          case 'PageUp': v?.scrollBy(-PAGE); break;
          case 'Home': v?.scrollTo(0); break;
          case 'End': v?.scrollTo(Number.MAX_SAFE_INTEGER); break;
          case '0': v?.applyPreset('own'); break;
          case 'i': case 'I': v?.invert(); break;
          case 'r': case 'R': v?.rotate(90); break;
          case 'l': case 'L': v?.rotate(-90); break;
          case 'h': case 'H': v?.flip('h'); break;
          case 'v': case 'V': v?.flip('v'); break;
          case 'f': case 'F': v?.fit(); break;
          case 'x': case 'X': v?.reset(); break;
          case 'c': case 'C': setPlaying((p) => !p); break;
          case '+': case '=': rateStep(1); break;
          case '-': case '_': rateStep(-1); break;
          case 'w': case 'W': chooseTool('Wwwc'); break;
          case 'p': case 'P': chooseTool('Pan'); break;
          case 'z': case 'Z': chooseTool('Zoom'); break;
          case '?': setHelp((h) => !h); break;
          // Esc closes what is open over the images first, then goes back to the worklist.
          case 'Escape':
            if (help) setHelp(false);
            else if (moreOpen) setMoreOpen(false);
            else if (document.querySelector('[role="dialog"]')) handled = false;
            else onClose?.();
            break;
          default: handled = false;
        }
      }
      if (handled) e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });

  // The toolbar keeps one row: what does not fit is marked data-overflow (hidden) and shown, in
  // the same places and with the same state, when "More…" unfolds the toolbar over the images.
  const barRef = useRef<HTMLDivElement>(null);
  const [overflowCount, setOverflowCount] = useState(0);
  const ready = !!stacks?.length;
  useLayoutEffect(() => {
    const bar = barRef.current;
    if (!bar) return;
    const measure = () => {
      const items = Array.from(bar.children) as HTMLElement[];
      const top = items[0]?.offsetTop ?? 0;
      let hidden = 0;
      for (const it of items) {
        const over = it.offsetTop > top + 4;
        if (over) hidden++;
        if (it.hasAttribute('data-overflow') !== over) it.toggleAttribute('data-overflow', over);
      }
      setOverflowCount(hidden);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(bar);
    for (const c of Array.from(bar.children)) observer.observe(c);
    return () => observer.disconnect();
  }, [ready, i18n.language]);
  useEffect(() => {
    if (!moreOpen) return;
    const onDown = (e: PointerEvent) => {
      if (!(e.target as HTMLElement | null)?.closest?.('.viewer-toolbar-slot')) setMoreOpen(false);
    };
    addEventListener('pointerdown', onDown, true);
    return () => removeEventListener('pointerdown', onDown, true);
  }, [moreOpen]);
  // A choice made in a list or on a slider gives the reading keys back to the images at once:
  // ↓ after choosing a preset moves to the next slice instead of choosing the next preset.
  useEffect(() => {
    const onChange = (e: Event) => {
      const el = e.target as HTMLElement | null;
      if (!el || !el.closest('.viewer, .topbar') || el.closest('.report-editor')) return;
      if (el instanceof HTMLSelectElement || (el instanceof HTMLInputElement && el.type === 'range')) el.blur();
    };
    document.addEventListener('change', onChange, true);
    return () => document.removeEventListener('change', onChange, true);
  }, []);

  // The series column and the dock fold; the dock's width is dragged on its edge.
  const [seriesOpen, setSeriesOpen] = useState(remembered.seriesOpen);
  const [dockOpen, setDockOpen] = useState(remembered.dockOpen);
  const seriesWidth = seriesOpen ? SERIES_WIDTH : SERIES_FOLDED;
  const [dockWidth, setDockWidth] = useState(() => remembered.dock ?? defaultDock(!!side, seriesWidth));
  useEffect(() => {
    remembered.seriesOpen = seriesOpen;
    remembered.dockOpen = dockOpen;
  }, [seriesOpen, dockOpen]);
  // The report opened or closed: the dock takes its default width for what it holds.
  const hasSide = !!side;
  useEffect(() => {
    if (remembered.dock === undefined) setDockWidth(defaultDock(hasSide, seriesWidth));
  }, [hasSide]);
  useEffect(() => {
    const onResize = () => setDockWidth((w) => Math.min(w, dockMax(seriesWidth)));
    onResize();
    addEventListener('resize', onResize);
    return () => removeEventListener('resize', onResize);
  }, [seriesWidth]);
  const resizeDock = (w: number) => {
    const next = Math.max(DOCK_MIN, Math.min(dockMax(seriesWidth), Math.round(w)));
    remembered.dock = next;
    setDockWidth(next);
  };
  const startDrag = (e: ReactPointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    const el = e.currentTarget;
    el.setPointerCapture(e.pointerId);
    const startX = e.clientX;
    const startW = dockWidth;
    const move = (ev: PointerEvent) => resizeDock(startW + (startX - ev.clientX));
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  };

  if (!stacks) {
    return (
      <section className="viewer" data-testid="viewer" data-study-uid={StudyInstanceUID} data-state="loading">
        <p className="viewer-message">{t('ui.viewer.loading')}</p>
      </section>
    );
  }
  if (stacks.length === 0) {
    return (
      <section className="viewer" data-testid="viewer" data-study-uid={StudyInstanceUID} data-state="empty">
        <p className="viewer-message">{t('ui.viewer.noImages')}</p>
      </section>
    );
  }

  const label = (key: string) => ({ title: t(key), 'aria-label': t(key) });
  const presetValue = shownPreset === 'custom' || shownPreset === '' ? '' : shownPreset;
  return (
    <section className="viewer" data-testid="viewer" data-study-uid={StudyInstanceUID} data-state="ready">
      <aside className={`viewer-series${seriesOpen ? '' : ' folded'}`} aria-label={t('ui.viewer.series')} data-testid="viewer-series">
        <button type="button" className="viewer-fold" data-testid="series-fold" aria-expanded={seriesOpen}
          {...label(seriesOpen ? 'ui.viewer.panels.foldSeries' : 'ui.viewer.panels.unfoldSeries')} onClick={() => setSeriesOpen((o) => !o)}>
          {seriesOpen ? '‹' : '›'}
        </button>
        {seriesOpen && stacks.map((s, i) => (
          <Thumbnail key={s.series.SeriesInstanceUID} stack={s} selected={stackFor(active) === s} onSelect={() => chooseSeries(i)} load={firstDrawn} />
        ))}
      </aside>
      <div className="viewer-main">
        <div className={`viewer-toolbar-slot${moreOpen ? ' open' : ''}`}>
          <div
            className="viewer-toolbar"
            role="toolbar"
            ref={barRef}
            data-testid="viewer-toolbar"
            onClick={(e) => {
              // A button chosen in the unfolded toolbar folds it again.
              if (moreOpen && (e.target as HTMLElement).closest('button') && (e.target as HTMLElement).closest('[data-overflow]')) setMoreOpen(false);
            }}
          >
            <span className="group" aria-label={t('ui.viewer.layout.title')}>
              {(Object.keys(LAYOUT_SIZE) as Layout[]).map((l) => (
                <button key={l} type="button" data-testid={`layout-${l}`} aria-pressed={layout === l} title={t('ui.viewer.layout.hint', { layout: t(`ui.viewer.layout.${l}`) })} onClick={() => changeLayout(l)}>
                  {t(`ui.viewer.layout.${l}`)}
                </button>
              ))}
              <button type="button" data-testid="link-toggle" aria-pressed={linked} title={t('ui.viewer.link.title')} onClick={() => setLinked((v) => !v)}>
                {t('ui.viewer.link.toggle')}
              </button>
            </span>
            <span className="group" aria-label={t('ui.viewer.tool.title')}>
              {TOOLS.map((name) => (
                <button key={name} type="button" data-testid={`tool-${name}`} aria-pressed={tool === name} title={t(`ui.viewer.tool.${name}`)} onClick={() => chooseTool(name)}>
                  {t(`ui.viewer.tool.${name}`)}
                </button>
              ))}
            </span>
            <select
              data-testid="preset"
              data-active-preset={shownPreset}
              data-preset-kind={presetKind(modality)}
              {...label('ui.viewer.preset.title')}
              value={presetValue}
              onChange={(e) => {
                const id = e.target.value;
                if (id === 'own') applyPreset('own');
                else {
                  const p = presets.find((x) => x.id === id);
                  if (p) applyPreset(p);
                }
                if (moreOpen) setMoreOpen(false);
              }}
            >
              <option value="" disabled>{shownPreset === 'custom' ? t('ui.viewer.preset.custom') : t('ui.viewer.preset.choose')}</option>
              {presets.map((p) => (
                <option key={p.id} value={p.id} data-window-width={p.windowWidth} data-window-center={p.windowCenter}>{presetLabel(p)}</option>
              ))}
              <option value="own">{t('ui.viewer.preset.own')}</option>
            </select>
            <MeasureTools StudyInstanceUID={StudyInstanceUID} />
            <span className="group icons" aria-label={t('ui.viewer.action.title')}>
              <button type="button" data-testid="action-fit" {...label('ui.viewer.action.fit')} onClick={() => current()?.fit()}>⤢</button>
              <button type="button" data-testid="action-invert" {...label('ui.viewer.action.invert')} onClick={() => current()?.invert()}>◐</button>
              <button type="button" data-testid="action-rotate-right" {...label('ui.viewer.action.rotateRight')} onClick={() => current()?.rotate(90)}>↻</button>
              <button type="button" data-testid="action-rotate-left" {...label('ui.viewer.action.rotateLeft')} onClick={() => current()?.rotate(-90)}>↺</button>
              <button type="button" data-testid="action-flip-h" {...label('ui.viewer.action.flipH')} onClick={() => current()?.flip('h')}>⇆</button>
              <button type="button" data-testid="action-flip-v" {...label('ui.viewer.action.flipV')} onClick={() => current()?.flip('v')}>⇅</button>
              <button type="button" data-testid="action-reset" {...label('ui.viewer.action.reset')} onClick={() => current()?.reset()}>⟲</button>
            </span>
            <span className="group">
              <button type="button" data-testid="cine-toggle" aria-pressed={playing} title={t('ui.viewer.help.cine')} onClick={() => setPlaying((p) => !p)}>
                {playing ? t('ui.viewer.action.cineStop') : t('ui.viewer.action.cinePlay')}
              </button>
              <select data-testid="cine-rate" {...label('ui.viewer.cine.rate')} value={cineFps} onChange={(e) => setCineFps(Number(e.target.value))}>
                {CINE_RATES.map((r) => (
                  <option key={r} value={r}>{t('ui.viewer.cine.fps', { fps: r })}</option>
                ))}
              </select>
            </span>
            <label className="group cache">
              <span>{t('ui.viewer.cache.title')}</span>
              <input
                data-testid="cache-size"
                type="number"
                min={CACHE_MB_RANGE[0]}
                max={CACHE_MB_RANGE[1]}
                step={64}
                value={cacheMB}
                onChange={(e) => {
                  const v = Number(e.target.value);
                  if (Number.isFinite(v) && v >= CACHE_MB_RANGE[0]) setCacheMB(setCacheMegabytes(v));
                }}
              />
            </label>
            <CacheUsage maxMB={cacheMB} />
          </div>
          <span className="viewer-toolbar-fixed">
            <button
              type="button"
              className={overflowCount ? '' : 'unneeded'}
              data-testid="toolbar-more"
              data-hidden-count={overflowCount}
              aria-expanded={moreOpen}
              aria-haspopup="true"
              {...label('ui.viewer.more')}
              onClick={() => setMoreOpen((o) => !o)}
            >
              ⋯
            </button>
            <button type="button" data-testid="help-toggle" aria-pressed={help} {...label('ui.viewer.action.help')} onClick={() => setHelp((h) => !h)}>
              ?
            </button>
          </span>
        </div>
        <div className={`viewport-grid layout-${layout}`} data-testid="viewport-grid">
          {Array.from({ length: count }, (_, position) => stackFor(position)?.documents ? (
            <DocumentView
              key={`document-${position}`}
              stack={stackFor(position)!}
              position={position}
              active={position === active}
              onActivate={() => setActive(position)}
              onDropSeries={(uid) => showSeriesAt(position, uid)}
            />
          ) : (
            <Viewport
              key={position}
              ref={(h) => {
                handles.current[position] = h;
              }}
              position={position}
              stack={stackFor(position)}
              study={study}
              active={position === active}
              onActivate={() => setActive(position)}
              cineFps={playing && position === active ? cineFps : 0}
              onDrawn={(m) => onDrawn(position, m)}
              referencePlane={linked && count > 1 ? activePlane : undefined}
              onDropSeries={(uid) => showSeriesAt(position, uid)}
            />
          ))}
        </div>
      </div>
      {dockOpen && (
        <div
          className="viewer-splitter"
          role="separator"
          aria-orientation="vertical"
          tabIndex={0}
          data-testid="dock-splitter"
          aria-valuenow={dockWidth}
          aria-valuemin={DOCK_MIN}
          aria-valuemax={dockMax(seriesWidth)}
          {...label('ui.viewer.panels.resize')}
          onPointerDown={startDrag}
          onKeyDown={(e) => {
            if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
              e.preventDefault();
              e.stopPropagation();
              resizeDock(dockWidth + (e.key === 'ArrowLeft' ? 24 : -24));
            }
          }}
        />
      )}
      <div className={`viewer-dock${dockOpen ? '' : ' folded'}${side ? ' with-side' : ''}`} data-testid="viewer-dock" style={dockOpen ? { width: dockWidth } : undefined}>
        <button type="button" className="viewer-fold" data-testid="dock-fold" aria-expanded={dockOpen}
          {...label(dockOpen ? 'ui.viewer.panels.foldDock' : 'ui.viewer.panels.unfoldDock')} onClick={() => setDockOpen((o) => !o)}>
          {dockOpen ? '›' : '‹'}
        </button>
        <div className="viewer-dock-panels" hidden={!dockOpen}>
          <AIPanel StudyInstanceUID={StudyInstanceUID} />
          <MeasurePanel StudyInstanceUID={StudyInstanceUID} stacks={stacks} onShow={showMeasured} />
          {side && <div className="viewer-dock-side">{side}</div>}
        </div>
      </div>
      {help && (
        <div className="viewer-help" role="dialog" aria-label={t('ui.viewer.help.title')} data-testid="help-panel">
          <h2>{t('ui.viewer.help.title')}</h2>
          <table>
            <tbody>
              {SHORTCUTS.map((s) => (
                <tr key={s.label}>
                  <td>
                    {s.keys.map((k) => (
                      <kbd key={k}>{k === 'wheelKey' || k === 'mouseKey' ? t(`ui.viewer.help.${k}`) : k}</kbd>
                    ))}
                  </td>
                  <td>{t(`ui.viewer.help.${s.label}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" onClick={() => setHelp(false)}>{t('ui.viewer.help.close')}</button>
        </div>
      )}
    </section>
  );
}
