// The audit of the open study: who opened, viewed, signed and sent it, when, and how it ended, as
// this workstation recorded it (services.audit). Read again when a report is signed here and on a
// timer, since delivery and pulls run in other processes too.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuditEvent } from '../../core/contract/audit';
import { errorText } from '../app/i18n';
import { services } from '../shell';
import './audit.css';

export const AUDIT_REFRESH_MS = 5000;

function formatTime(iso: string, locale: string): string {
  const d = new Date(iso);
  // Seconds matter in an audit; the time zone is the reader's own, the stored time stays UTC.
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

export function StudyAudit({ StudyInstanceUID }: { StudyInstanceUID: string }) {
  const { t, i18n } = useTranslation();
  const [events, setEvents] = useState<AuditEvent[] | undefined>();
  const [loadError, setLoadError] = useState<unknown>();

  const reload = useCallback(() => {
    services.audit.listStudyAudit(StudyInstanceUID).then(
      (list) => { setEvents(list); setLoadError(undefined); },
      (e) => setLoadError(e),
    );
  }, [StudyInstanceUID]);
  useEffect(() => {
    reload();
    const timer = setInterval(reload, AUDIT_REFRESH_MS);
    const off = services.reports.onDidSignReport(() => reload());
    return () => { clearInterval(timer); off(); };
  }, [reload]);

  const state = loadError !== undefined ? 'error' : events ? 'ready' : 'loading';
  return (
    <aside className="study-audit" data-testid="study-audit" data-state={state} data-count={events?.length ?? 0} aria-label={t('ui.audit.title')}>
      <h2>{t('ui.audit.title')}</h2>
      {loadError !== undefined && <p className="error" role="alert">{errorText(loadError)}</p>}
      {events && events.length === 0 && <p className="empty">{t('ui.audit.empty')}</p>}
      <ol className="audit-events">
        {[...(events ?? [])].reverse().map((e) => (
          <li key={e.seq} data-testid="audit-event" data-action={e.action} data-outcome={e.outcome} className={`audit-${e.outcome}`}>
            <time dateTime={e.time}>{formatTime(e.time, i18n.language)}</time>
            <span className="audit-action">{t(`audit.action.${e.action}`)}</span>
            {e.outcome !== 'success' && <span className="audit-outcome">{t(`audit.outcome.${e.outcome}`)}</span>}
            <span className="audit-user">{e.user}</span>
            {e.agreement && <span className="audit-agreement" title={t('ui.audit.agreement')}>{e.agreement}</span>}
          </li>
        ))}
      </ol>
    </aside>
  );
}
