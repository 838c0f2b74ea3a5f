// Import controls and their feedback: buttons for files and folders, a progress bar fed by the
// upload and by onDidImportProgress, and the summary with each rejected file and its reason.
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { ImportNotice, RejectedFile } from '../../core/contract/studies';
import { errorText } from '../app/i18n';
import type { ChosenFile } from '../shell';
import { formatNumber } from './format';
import { chosenFiles, type ImportState } from './useImport';

/**
 * The rejected file's reason in the reader's language. The host words `reason` in its own language;
 * when it also sends the message's parameters, the UI words it again in the language on screen.
 */
function reasonText(r: RejectedFile, t: (k: string, o?: Record<string, unknown>) => string, exists: (k: string) => boolean): string {
  const key = `errors.${r.code}`;
  return r.params && exists(key) ? t(key, { ...r.params, path: r.path }) : r.reason;
}

/** The same for a file imported despite a defect: notices.<code> in the language on screen. */
function noticeText(n: ImportNotice, t: (k: string, o?: Record<string, unknown>) => string, exists: (k: string) => boolean): string {
  const key = `notices.${n.code}`;
  return exists(key) ? t(key, { ...n.params, path: n.path }) : n.message;
}

export function ImportPanel({ state, finished, onFiles, onDismiss }: { state: ImportState; finished: number; onFiles(f: ChosenFile[]): void; onDismiss(): void }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const busy = state.phase === 'uploading' || state.phase === 'importing';

  let value = 0;
  let max = 1;
  let label = '';
  if (state.phase === 'uploading') {
    value = state.sent;
    max = Math.max(1, state.total);
    label = t('ui.import.uploading', { percent: new Intl.NumberFormat(locale, { style: 'percent' }).format(value / max) });
  } else if (state.phase === 'importing') {
    const p = state.progress;
    value = p ? p.imported + p.duplicates + p.rejected : 0;
    max = Math.max(1, p?.seen ?? 1);
    label = p
      ? t(p.walkDone ? 'ui.import.importing' : 'ui.import.walking', { done: formatNumber(value, locale), seen: formatNumber(p.seen, locale) })
      : t('ui.import.starting');
  }

  return (
    <div className="import" data-testid="import-status" data-state={state.phase} data-finished={finished}>
      <button type="button" data-testid="import-files" disabled={busy} onClick={() => filesInput.current?.click()}>
        {t('ui.import.files')}
      </button>
      <button type="button" data-testid="import-folder" disabled={busy} onClick={() => folderInput.current?.click()}>
        {t('ui.import.folder')}
      </button>
      <input
        ref={filesInput}
        type="file"
        multiple
        hidden
        data-testid="import-files-input"
        onChange={(e) => { onFiles(chosenFiles(e.target.files)); e.target.value = ''; }}
      />
      <input
        ref={folderInput}
        type="file"
        multiple
        hidden
        data-testid="import-folder-input"
        {...{ webkitdirectory: '' }}
        onChange={(e) => { onFiles(chosenFiles(e.target.files)); e.target.value = ''; }}
      />
      {busy && (
        <div className="progress">
          <progress data-testid="import-progress" value={value} max={max} />
          <span>{label}</span>
        </div>
      )}
      {state.phase === 'done' && (
        <div className="import-result" role="status" data-testid="import-result">
          <p>
            {t('ui.import.done', {
              imported: formatNumber(state.summary.imported, locale),
              duplicates: formatNumber(state.summary.duplicates, locale),
              rejected: formatNumber(state.summary.rejected.length, locale),
            })}
          </p>
          {(state.summary.notices?.length ?? 0) > 0 && (
            <details open>
              <summary>{t('ui.import.noticesTitle')}</summary>
              <ul data-testid="import-notices">
                {state.summary.notices!.map((n) => (
                  <li key={`${n.path} ${n.code} ${n.params.keyword ?? ''}`} data-code={n.code}>
                    <span className="reason">{noticeText(n, t, (k) => i18n.exists(k))}</span>
                  </li>
                ))}
              </ul>
            </details>
          )}
          {state.summary.rejected.length > 0 && (
            <details open>
              <summary>{t('ui.import.rejectedTitle')}</summary>
              <ul data-testid="import-rejected">
                {state.summary.rejected.map((r) => (
                  <li key={r.path} data-code={r.code}>
                    <span className="path">{r.path}</span>: <span className="reason">{reasonText(r, t, (k) => i18n.exists(k))}</span>
                  </li>
                ))}
              </ul>
            </details>
          )}
          <button type="button" onClick={onDismiss}>{t('ui.import.dismiss')}</button>
        </div>
      )}
      {state.phase === 'failed' && (
        <div className="import-result error" role="alert" data-testid="import-error">
          <p>{t('ui.import.failed', { reason: errorText(state.error) })}</p>
          <button type="button" onClick={onDismiss}>{t('ui.import.dismiss')}</button>
        </div>
      )}
    </div>
  );
}
