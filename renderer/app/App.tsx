// The application frame: a top bar (language, shell), and two screens, the worklist and the viewer.
// The open study is kept in memory only: a StudyInstanceUID never goes into the URL or history.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Worklist } from '../worklist/Worklist';
import { Viewer } from '../viewer/index';
import { primeStudy, showPrimedState } from '../viewer/open-study';
import type { StudySummary } from '../../core/contract/studies';
import { ReportEditor } from '../reports/ReportEditor';
import { Outbox } from '../outbox/Outbox';
import { StudyAudit } from '../audit/StudyAudit';
import { LANGUAGES, setLanguage, type Language } from './i18n';
import { onDidChangeConnection, shellKind } from '../shell';

type Screen = { name: 'worklist' } | { name: 'outbox' } | { name: 'viewer'; StudyInstanceUID: string; report?: boolean; audit?: boolean };

const LANGUAGE_NAMES: Record<Language, string> = { 'zh-CN': '中文', ru: 'Русский', en: 'English' };

export function App() {
  const { t, i18n } = useTranslation();
  const [screen, setScreen] = useState<Screen>({ name: 'worklist' });
  const [lastStudy, setLastStudy] = useState<string | undefined>();

  const openStudy = useCallback((StudyInstanceUID: string) => {
    // The history entry says only "viewer", so Back returns to the worklist without naming a study.
    history.pushState({ screen: 'viewer' }, '');
    setLastStudy(StudyInstanceUID);
    setScreen({ name: 'viewer', StudyInstanceUID });
  }, []);
  // A row chosen (pressed, or reached by keyboard) starts opening its study: the first image is
  // asked for before the double click or Enter has changed the screen.
  const chooseStudy = useCallback((study: StudySummary, row: HTMLElement) => {
    primeStudy(study.StudyInstanceUID, study);
    showPrimedState(row, study.StudyInstanceUID);
  }, []);
  const closeStudy = useCallback(() => {
    if ((history.state as { screen?: string } | null)?.screen === 'viewer') history.back();
    else setScreen({ name: 'worklist' });
  }, []);

  useEffect(() => {
    const onPop = (ev: PopStateEvent) => {
      if ((ev.state as { screen?: string } | null)?.screen !== 'viewer') setScreen({ name: 'worklist' });
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const [connected, setConnected] = useState(true);
  useEffect(() => onDidChangeConnection(setConnected), []);

  // The clipboard is shared with every program on the computer (and clipboard managers keep it),
  // so what Amur shows (names, IDs, findings) is not copied out of it: a copy or cut outside a
  // field the user is typing in puts nothing on the clipboard, and says why.
  const [copyBlocked, setCopyBlocked] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onCopy = (ev: ClipboardEvent) => {
      const a = document.activeElement;
      const typing = a instanceof HTMLTextAreaElement || (a instanceof HTMLInputElement && a.type === 'text');
      if (typing) return;
      ev.preventDefault();
      ev.clipboardData?.setData('text/plain', '');
      setCopyBlocked(true);
      clearTimeout(timer);
      timer = setTimeout(() => setCopyBlocked(false), 4000);
    };
    document.addEventListener('copy', onCopy);
    document.addEventListener('cut', onCopy);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('cut', onCopy);
    };
  }, []);

  useEffect(() => {
    document.title = t('ui.app.title');
  }, [t, i18n.language]);

  return (
    <div className="app" data-testid="app" data-screen={screen.name} data-shell={shellKind}>
      <header className="topbar">
        <h1 className="brand">{t('ui.app.title')}</h1>
        {screen.name === 'viewer' && (
          <button type="button" data-testid="back-to-worklist" onClick={closeStudy}>
            {t('ui.app.backToWorklist')}
          </button>
        )}
        {screen.name === 'viewer' && (
          <button type="button" data-testid="toggle-report" aria-pressed={!!screen.report}
            onClick={() => setScreen({ ...screen, report: !screen.report })}>
            {t('ui.reports.open')}
          </button>
        )}
        {screen.name === 'viewer' && (
          <button type="button" data-testid="toggle-audit" aria-pressed={!!screen.audit}
            onClick={() => setScreen({ ...screen, audit: !screen.audit })}>
            {t('ui.audit.open')}
          </button>
        )}
        {screen.name !== 'viewer' && (
          // The worklist and the outbox, side by side as two tabs of the top bar.
          <nav className="tabs" aria-label={t('ui.app.screens')}>
            <button type="button" data-testid="open-worklist" aria-pressed={screen.name === 'worklist'}
              onClick={() => setScreen({ name: 'worklist' })}>
              {t('ui.app.worklist')}
            </button>
            <button type="button" data-testid="open-outbox" aria-pressed={screen.name === 'outbox'}
              onClick={() => setScreen({ name: 'outbox' })}>
              {t('ui.outbox.open')}
            </button>
          </nav>
        )}
        <span className="spacer" />
        <span className="shell-kind" data-testid="shell-kind">{t(`ui.app.shell.${shellKind}`)}</span>
        <label className="language">
          <span>{t('ui.app.language')}</span>
          <select
            data-testid="language"
            value={i18n.language}
            onChange={(e) => setLanguage(e.target.value as Language)}
          >
            {LANGUAGES.map((l) => (
              <option key={l} value={l} lang={l}>{LANGUAGE_NAMES[l]}</option>
            ))}
          </select>
        </label>
      </header>
      {!connected && (
        <div className="banner error" role="alert" data-testid="connection-lost">{t('ui.app.connectionLost')}</div>
      )}
      {copyBlocked && (
        <div className="banner" role="status" data-testid="copy-blocked">{t('ui.app.copyBlocked')}</div>
      )}
      <main className="screen">
        {screen.name === 'worklist' ? (
          <Worklist onOpen={openStudy} onChoose={chooseStudy} focusStudy={lastStudy} />
        ) : screen.name === 'outbox' ? (
          <Outbox />
        ) : (
          // The report editor sits in the viewer's dock beside the images, so the radiologist reads
          // and writes at once, and the images keep most of the width (the dock folds and resizes).
          // The study's audit, when asked for, is in the same dock, below the editor.
          <div className="viewer-and-audit">
            <div className="viewer-only">
              <Viewer
                StudyInstanceUID={screen.StudyInstanceUID}
                onClose={closeStudy}
                side={screen.report || screen.audit ? (
                  <>
                    {screen.report && <ReportEditor StudyInstanceUID={screen.StudyInstanceUID} onOpenStudy={openStudy} />}
                    {screen.audit && <StudyAudit StudyInstanceUID={screen.StudyInstanceUID} />}
                  </>
                ) : undefined}
              />
            </div>
          </div>
        )}
      </main>
    </div>
  );
}
