// The study viewer: series thumbnails, a 1×1 / 1×2 / 2×2 layout of cornerstone viewports, the
// toolbar (tools, window presets, view transforms, cine, cache size) and the keyboard shortcuts,
// which act on the active viewport (the one under the pointer or last clicked).
import cornerstone from 'cornerstone-core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ImagePixelModule } from '../../core/contract/imaging';
import type { StudySummary } from '../../core/contract/studies';
import { services } from '../shell';
import { AIPanel, HEATMAP_KEY } from './ai/AIPanel';
import { CT_PRESETS, type WindowPreset } from './presets';
import { activateTool, CACHE_MB_RANGE, cacheMegabytes, setCacheMegabytes, setupCornerstone, TOOLS, type ToolName } from './setup';
import { afterFirstImage, firstImageSettled, forgetFirstImage, hasImages, primeStudy } from './open-study';
import { DocumentView } from './DocumentView';
import type { PlaneGeometry } from './geometry';
import { linkedIndices } from './linking';
import { planeOfModule } from './ViewOverlays';
import type { Stack } from './stack';
import { SERIES_DRAG_TYPE, Viewport, type ViewportHandle } from './Viewport';
import { MeasurePanel, MeasureTools, type MeasurementPlace } from './measure';
import './viewer.css';

export interface ViewerProps {
  StudyInstanceUID: string;
}

// Wire cornerstone when the app loads, not when a study opens: opening a study should cost only
// fetching and drawing its first image.
setupCornerstone();

type Layout = '1x1' | '1x2' | '2x2';
const LAYOUT_SIZE: Record<Layout, number> = { '1x1': 1, '1x2': 2, '2x2': 4 };
const CINE_RATES = [2, 5, 10, 15, 20, 30, 60];

/** The shortcuts, as shown in the help panel; the handler below reads the same table. */
const SHORTCUTS: { keys: string[]; label: string }[] = [
  { keys: ['↓'], label: 'next' },
  { keys: ['↑'], label: 'previous' },
  { keys: ['PageDown'], label: 'pageDown' },
  { keys: ['PageUp'], label: 'pageUp' },
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
];

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
      <canvas ref={canvas} width={96} height={96} />
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

export function Viewer({ StudyInstanceUID }: ViewerProps) {
  const { t } = useTranslation();
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
  // A multi-frame loop plays at the rate its instance recommends, to the nearest offered rate.
  const onDrawn = (position: number, m: ImagePixelModule | undefined) => {
    drawnModules.current[position] = m;
    if (position === active) followActive(m);
    showPending(position);
    if (!firstDrawn) firstImageSettled(StudyInstanceUID);
    setFirstDrawn(true);
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
    setActivePlane(planeOfModule(m));
    if (!linked || !m || LAYOUT_SIZE[layout] < 2) return;
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
  useEffect(() => setActivePlane(planeOfModule(drawnModules.current[active])), [active]);

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
  const applyPreset = (p: WindowPreset | 'own') => current()?.applyPreset(p);
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
      if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA')) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const v = handles.current[active];
      const page = Math.max(1, Math.min(10, Math.round((v?.length() ?? 0) / 10)));
      const presetIndex = /^[1-8]$/.test(e.key) ? Number(e.key) - 1 : -1;
      let handled = true;
      if (presetIndex >= 0) v?.applyPreset(CT_PRESETS[presetIndex]);
      else {
        switch (e.key) {
          case 'ArrowDown': v?.scrollBy(1); break;
          case 'ArrowUp': v?.scrollBy(-1); break;
          case 'PageDown': v?.scrollBy(page); break;
          case 'PageUp': v?.scrollBy(-page); break;
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
          case 'Escape': setHelp(false); break;
          default: handled = false;
        }
      }
      if (handled) e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });

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

  return (
    <section className="viewer" data-testid="viewer" data-study-uid={StudyInstanceUID} data-state="ready">
      <aside className="viewer-series" aria-label={t('ui.viewer.series')}>
        {stacks.map((s, i) => (
          <Thumbnail key={s.series.SeriesInstanceUID} stack={s} selected={stackFor(active) === s} onSelect={() => chooseSeries(i)} load={firstDrawn} />
        ))}
      </aside>
      <div className="viewer-main">
        <div className="viewer-toolbar" role="toolbar">
          <span className="group" aria-label={t('ui.viewer.layout.title')}>
            {(Object.keys(LAYOUT_SIZE) as Layout[]).map((l) => (
              <button key={l} type="button" data-testid={`layout-${l}`} aria-pressed={layout === l} onClick={() => changeLayout(l)}>
                {t(`ui.viewer.layout.${l}`)}
              </button>
            ))}
            <button type="button" data-testid="link-toggle" aria-pressed={linked} title={t('ui.viewer.link.title')} onClick={() => setLinked((v) => !v)}>
              {t('ui.viewer.link.toggle')}
            </button>
          </span>
          <span className="group" aria-label={t('ui.viewer.tool.title')}>
            {TOOLS.map((name) => (
              <button key={name} type="button" data-testid={`tool-${name}`} aria-pressed={tool === name} onClick={() => chooseTool(name)}>
                {t(`ui.viewer.tool.${name}`)}
              </button>
            ))}
          </span>
          <select
            data-testid="preset"
            aria-label={t('ui.viewer.preset.title')}
            value=""
            onChange={(e) => {
              const id = e.target.value;
              if (id === 'own') applyPreset('own');
              else {
                const p = CT_PRESETS.find((x) => x.id === id);
                if (p) applyPreset(p);
              }
            }}
          >
            <option value="" disabled>{t('ui.viewer.preset.choose')}</option>
            <option value="own">{t('ui.viewer.preset.own')}</option>
            {CT_PRESETS.map((p) => (
              <option key={p.id} value={p.id}>{t(`ui.viewer.preset.${p.id}`)}</option>
            ))}
          </select>
          <span className="group">
            <button type="button" data-testid="action-fit" onClick={() => current()?.fit()}>{t('ui.viewer.action.fit')}</button>
            <button type="button" data-testid="action-invert" onClick={() => current()?.invert()}>{t('ui.viewer.action.invert')}</button>
            <button type="button" data-testid="action-rotate-right" onClick={() => current()?.rotate(90)}>{t('ui.viewer.action.rotateRight')}</button>
            <button type="button" data-testid="action-rotate-left" onClick={() => current()?.rotate(-90)}>{t('ui.viewer.action.rotateLeft')}</button>
            <button type="button" data-testid="action-flip-h" onClick={() => current()?.flip('h')}>{t('ui.viewer.action.flipH')}</button>
            <button type="button" data-testid="action-flip-v" onClick={() => current()?.flip('v')}>{t('ui.viewer.action.flipV')}</button>
            <button type="button" data-testid="action-reset" onClick={() => current()?.reset()}>{t('ui.viewer.action.reset')}</button>
          </span>
          <span className="group">
            <button type="button" data-testid="cine-toggle" aria-pressed={playing} onClick={() => setPlaying((p) => !p)}>
              {playing ? t('ui.viewer.action.cineStop') : t('ui.viewer.action.cinePlay')}
            </button>
            <select data-testid="cine-rate" aria-label={t('ui.viewer.cine.rate')} value={cineFps} onChange={(e) => setCineFps(Number(e.target.value))}>
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
          <MeasureTools StudyInstanceUID={StudyInstanceUID} />
          <button type="button" data-testid="help-toggle" aria-pressed={help} onClick={() => setHelp((h) => !h)}>
            {t('ui.viewer.action.help')}
          </button>
        </div>
        <div className={`viewport-grid layout-${layout}`}>
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
      <AIPanel StudyInstanceUID={StudyInstanceUID} />
      <MeasurePanel StudyInstanceUID={StudyInstanceUID} stacks={stacks} onShow={showMeasured} />
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
