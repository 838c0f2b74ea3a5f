// The viewer's AI panel: the study's triage result as the host stored it (findings, scores, the
// operating point the decision used and the patient population whose it is, the model and its
// hash), always labelled assistive, and the controls of the heatmap overlay (toggle by button or
// key, opacity). The overlay starts hidden so that the radiologist looks at the image before
// looking at where the model looked.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { StudyTriageResult } from '../../../core/contract/triage';
import { services } from '../../shell';
import { afterFirstImage } from '../open-study';
import { attachOverlay, heatmapCanvas, redrawViewports, type OverlayState } from './heatmap';
import './ai.css';

/** The key that shows or hides the heatmap (listed in the viewer's help panel). */
export const HEATMAP_KEY = 'A';

export function AIPanel({ StudyInstanceUID }: { StudyInstanceUID: string }) {
  const { t, i18n } = useTranslation();
  const [result, setResult] = useState<StudyTriageResult | null | undefined>(undefined);
  const [visible, setVisible] = useState(false);
  const [opacity, setOpacity] = useState(0.5);
  // Folded, the panel keeps its title and the assistive label; its details give the room to the report.
  const [open, setOpen] = useState(true);

  useEffect(() => {
    let live = true;
    setResult(undefined);
    // Asked for once the first image is drawn, so that it never waits behind the AI's result.
    void afterFirstImage(StudyInstanceUID).then(() => services.triage.getStudyTriage(StudyInstanceUID)).then(
      (r) => live && setResult((cur) => cur ?? r),
      () => live && setResult(null),
    );
    // A result made while the study is open (import, or triage on request) replaces the shown one.
    const off = services.triage.onDidTriageStudy((r) => {
      if (r.StudyInstanceUID === StudyInstanceUID) setResult(r);
    });
    return () => {
      live = false;
      off();
    };
  }, [StudyInstanceUID]);

  const heatmap = result?.status === 'done' ? result.heatmap : undefined;
  const grid = useMemo(() => (heatmap ? heatmapCanvas(heatmap) : undefined), [heatmap]);
  const overlay = useRef<{ state: OverlayState; grid?: HTMLCanvasElement }>({ state: { visible: false, opacity: 0.5 } });
  overlay.current = { state: { heatmap, visible, opacity }, grid };

  useEffect(() => attachOverlay(() => overlay.current), []);
  useEffect(() => redrawViewports(), [heatmap, visible, opacity]);

  useEffect(() => {
    if (!heatmap) return;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
      // By the key's place too, as the viewer's keys: A is ф with a Russian layout.
      const key = /^Key[A-Z]$/.test(e.code) && !/^[\x20-\x7e]$/.test(e.key) ? e.code.slice(3) : e.key;
      if (e.ctrlKey || e.metaKey || e.altKey || key.toUpperCase() !== HEATMAP_KEY) return;
      e.preventDefault();
      setVisible((v) => !v);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [heatmap]);

  const locale = i18n.language;
  // Truncated, not rounded, as in the worklist: 0.998 must not read as a certain 100%.
  const pct = (v: number) => new Intl.NumberFormat(locale, { style: 'percent' }).format(Math.floor(v * 100) / 100);
  const status = result === undefined ? 'loading' : result === null ? 'none' : result.status;
  // The reason in the language on screen (the host words it in its own): its code and parameters
  // through the same catalogue, the host's text only for a code this UI does not know.
  const reasonText = (r: StudyTriageResult) =>
    r.reasonCode && i18n.exists(`errors.${r.reasonCode}`) ? t(`errors.${r.reasonCode}`, { ...(r.reasonParams ?? {}) }) : r.reason;

  return (
    <aside className={`viewer-ai${open ? '' : ' folded'}`} data-testid="ai-panel" data-status={status} aria-label={t('ui.ai.title')}>
      <div className="viewer-ai-head">
        <h2>{t('ui.ai.title')}</h2>
        <button type="button" className="viewer-ai-fold" data-testid="ai-panel-toggle" aria-expanded={open}
          title={t(open ? 'ui.ai.fold' : 'ui.ai.unfold')} aria-label={t(open ? 'ui.ai.fold' : 'ui.ai.unfold')} onClick={() => setOpen((o) => !o)}>
          {open ? '▾' : '▸'}
        </button>
      </div>
      <p className="viewer-ai-assistive" data-testid="ai-assistive">{t('ui.ai.assistive')}</p>
      <div className="viewer-ai-details" hidden={!open}>
      {result === undefined && <p className="viewer-ai-muted">{t('ui.ai.loading')}</p>}
      {result === null && <p className="viewer-ai-muted">{t('ui.ai.notTriaged')}</p>}
      {result && result.status !== 'done' && (
        <p className={result.status === 'error' ? 'viewer-ai-error' : 'viewer-ai-muted'} data-testid="ai-reason" data-reason-code={result.reasonCode}>
          {t(`ui.ai.status.${result.status}`)}
          {reasonText(result) ? `: ${reasonText(result)}` : ''}
        </p>
      )}
      {result?.status === 'done' && (
        <>
          <table className="viewer-ai-findings">
            <tbody>
              {result.findings.map((f) => (
                <tr key={f.label} data-testid="ai-finding" data-label={f.label} data-positive={f.positive}>
                  <th scope="row">{t(`triage.labels.${f.label}`, { defaultValue: f.label })}</th>
                  <td className="viewer-ai-score" data-testid="ai-score">{pct(f.score)}</td>
                  <td className={f.positive ? 'viewer-ai-flag' : 'viewer-ai-muted'}>{f.positive ? t('ui.ai.flagged') : t('ui.ai.notFlagged')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p data-testid="ai-operating-point">
            {t('ui.ai.operatingPoint', { threshold: pct(result.operatingPoints.balanced) })}
          </p>
          {result.findings.map((f) => (
            <p key={f.label} className="viewer-ai-muted">
              {t(f.positiveAtHighSensitivity ? 'ui.ai.highSensitivityFlagged' : 'ui.ai.highSensitivityNotFlagged', {
                threshold: pct(result.operatingPoints.high_sensitivity),
              })}
            </p>
          ))}
          {result.population && (
            <p className="viewer-ai-muted" data-testid="ai-population" data-population={result.population}>
              {t('ui.ai.population', { population: t(`triage.populations.${result.population}`, { defaultValue: result.population }) })}
            </p>
          )}
        </>
      )}
      {result && (
        <dl className="viewer-ai-model" data-testid="ai-model">
          <dt>{t('ui.ai.model')}</dt>
          <dd>{`${result.model.id} ${result.model.version}`}</dd>
          <dt>{t('ui.ai.sha256')}</dt>
          <dd title={result.model.sha256}><code>{result.model.sha256.slice(0, 12)}</code></dd>
          <dt>{t('ui.ai.triagedAt')}</dt>
          <dd>{new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' }).format(new Date(result.triagedAt))}</dd>
        </dl>
      )}
      {heatmap && (
        <div className="viewer-ai-heatmap-controls">
          <button type="button" data-testid="ai-heatmap-toggle" aria-pressed={visible} onClick={() => setVisible((v) => !v)}>
            {visible ? t('ui.ai.heatmapHide') : t('ui.ai.heatmapShow')} <kbd>{HEATMAP_KEY}</kbd>
          </button>
          <label>
            <span>{t('ui.ai.opacity')}</span>
            <input
              data-testid="ai-heatmap-opacity"
              type="range"
              min={0}
              max={100}
              step={5}
              value={Math.round(opacity * 100)}
              onChange={(e) => setOpacity(Number(e.target.value) / 100)}
            />
            <output>{pct(opacity)}</output>
          </label>
          <p className="viewer-ai-muted">{t('ui.ai.heatmapNote')}</p>
        </div>
      )}
      </div>
    </aside>
  );
}
