// The outbox: signed reports waiting to go back to the partners' exchanges, with their delivery
// state. Read through the contract (services.outbox); delivery may run in another process (amur
// deliver), so the list is refreshed on a timer as well as when a report is signed here.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import i18next from 'i18next';
import type { OutboxEntry } from '../../core/contract/outbox';
import type { StudySummary } from '../../core/contract/studies';
import { errorText } from '../app/i18n';
import { services } from '../shell';
import { personNameParts } from '../worklist/person-name';

/** How often the list is read again while it is shown. */
export const OUTBOX_REFRESH_MS = 3000;

type T = (k: string, o?: Record<string, unknown>) => string;

/** A UID too long for a cell: its start and its end, which is where UIDs differ. */
export function shortUid(uid: string): string {
  return uid.length <= 20 ? uid : `${uid.slice(0, 8)}…${uid.slice(-10)}`;
}

const STATUS_ORDER: Record<OutboxEntry['status'], number> = { failed: 0, sending: 1, queued: 2, delivered: 3 };

/** What needs a person first: failed items, then those on their way (oldest first), then the delivered (latest first). */
export function compareOutbox(a: OutboxEntry, b: OutboxEntry): number {
  const byStatus = STATUS_ORDER[a.status] - STATUS_ORDER[b.status];
  if (byStatus) return byStatus;
  if (a.status === 'delivered') return (b.deliveredAt ?? '').localeCompare(a.deliveredAt ?? '') || a.id.localeCompare(b.id);
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

/** Why delivery failed, in the reader's language; a code without a translation is never shown raw. */
export function outboxReason(error: OutboxEntry['error'], t: T): string {
  if (!error) return '';
  const key = `errors.${error.code}`;
  if (i18next.exists(key)) return t(key, error.params);
  return t('ui.outbox.reasonUnknown');
}

function formatTime(iso: string | undefined, locale: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' }).format(d);
}

function StudyCell({ uid, study }: { uid: string; study: StudySummary | undefined }) {
  if (!study) return <span className="outbox-study"><span className="uid" title={uid}>{shortUid(uid)}</span></span>;
  const p = personNameParts(study.PatientName);
  const name = [p.alphabetic, p.ideographic].filter(Boolean).join(' ') || study.PatientID;
  const text = [name, study.StudyDescription].filter(Boolean).join(' · ');
  return <span className="outbox-study" title={`${text} (${uid})`}>{text || shortUid(uid)}</span>;
}

export function Outbox() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [items, setItems] = useState<OutboxEntry[] | undefined>();
  const [studies, setStudies] = useState<ReadonlyMap<string, StudySummary>>(new Map());
  const [loadError, setLoadError] = useState<unknown>();

  const reload = useCallback(() => {
    services.outbox.listOutbox().then(
      (list) => { setItems([...list].sort(compareOutbox)); setLoadError(undefined); },
      (e) => setLoadError(e),
    );
  }, []);
  const reloadStudies = useCallback(() => {
    services.studies.listStudies().then(
      (list) => setStudies(new Map(list.map((s) => [s.StudyInstanceUID, s]))),
      () => undefined, // Without the catalogue the items are named by their UIDs.
    );
  }, []);
  useEffect(() => {
    reload();
    reloadStudies();
    const timer = setInterval(reload, OUTBOX_REFRESH_MS);
    const offSigned = services.reports.onDidSignReport(() => reload());
    const offStudies = services.studies.onDidChangeStudies(() => reloadStudies());
    return () => { clearInterval(timer); offSigned(); offStudies(); };
  }, [reload, reloadStudies]);

  const counts = useMemo(() => {
    const c = { queued: 0, sending: 0, delivered: 0, failed: 0 };
    for (const i of items ?? []) c[i.status]++;
    return c;
  }, [items]);

  const state = loadError !== undefined ? 'error' : items ? 'ready' : 'loading';
  return (
    <section className="outbox" data-testid="outbox" data-state={state} data-count={items?.length ?? 0}>
      <h2>{t('ui.outbox.title')}</h2>
      {loadError !== undefined && <p className="error" role="alert">{errorText(loadError)}</p>}
      {items && items.length > 0 && (
        <p className="statusbar" data-testid="outbox-summary">
          {t('ui.outbox.summary', { queued: counts.queued + counts.sending, delivered: counts.delivered, failed: counts.failed })}
        </p>
      )}
      <div className="table-scroll">
        <table className="outbox-items">
          <colgroup>
            <col style={{ width: '20%' }} /><col style={{ width: '11%' }} /><col style={{ width: '12%' }} />
            <col style={{ width: '10%' }} /><col style={{ width: '27%' }} /><col style={{ width: '7%' }} /><col style={{ width: '13%' }} />
          </colgroup>
          <thead>
            <tr>
              {(['study', 'agreement', 'created', 'status', 'reason', 'attempts', 'delivered'] as const).map((c) => (
                <th key={c} data-column={c} className={c === 'attempts' ? 'numeric' : undefined} title={t(`ui.outbox.column.${c}`)}>
                  {t(`ui.outbox.column.${c}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {(items ?? []).map((i) => (
              <tr key={i.id} data-testid="outbox-row" data-item-id={i.id} data-status={i.status} data-study-uid={i.StudyInstanceUID}>
                <td data-column="study"><StudyCell uid={i.StudyInstanceUID} study={studies.get(i.StudyInstanceUID)} /></td>
                <td data-column="agreement" title={i.agreementId}>{i.agreementId}</td>
                <td data-column="created"><time dateTime={i.createdAt}>{formatTime(i.createdAt, locale)}</time></td>
                <td data-column="status"><span className={`outbox-status-${i.status}`}>{t(`ui.outbox.status.${i.status}`)}</span></td>
                <td data-column="reason" className="reason">
                  {i.status === 'failed' ? outboxReason(i.error, t) : ''}
                  {i.status === 'failed' && i.nextAttemptAt && (
                    <span className="deadline-note">{t('ui.outbox.nextAttempt', { time: formatTime(i.nextAttemptAt, locale) })}</span>
                  )}
                </td>
                <td data-column="attempts" className="numeric">{new Intl.NumberFormat(locale).format(i.attempts)}</td>
                <td data-column="delivered">{i.deliveredAt ? <time dateTime={i.deliveredAt}>{formatTime(i.deliveredAt, locale)}</time> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {items && items.length === 0 && <p className="empty" data-testid="outbox-empty">{t('ui.outbox.empty')}</p>}
    </section>
  );
}
