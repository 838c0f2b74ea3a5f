// What the radiologist sees once a report is signed: that it is signed, by whom and when, the
// signed PDF one click away, the study's status as the worklist now has it, and the next unread
// study in the worklist's order. An amendment is started only when asked for: a signed report is
// never silently replaced by a new draft.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SignedReportSummary, SigningObserver } from '../../core/contract/reports';
import type { StudySummary } from '../../core/contract/studies';
import { download } from '../download';
import { services } from '../shell';
import { errorText } from '../app/i18n';
import { afterSigning } from './next-study';

export interface SignedConfirmationProps {
  StudyInstanceUID: string;
  summary: SignedReportSummary;
  /** Who signed, as the editor showed it before signing (absent when the editor was reopened). */
  signer?: SigningObserver;
  onOpenStudy?(StudyInstanceUID: string): void;
  onAmend(): void;
}

export function SignedConfirmation({ StudyInstanceUID, summary, signer, onOpenStudy, onAmend }: SignedConfirmationProps) {
  const { t, i18n } = useTranslation();
  const [after, setAfter] = useState<{ study?: StudySummary; next?: StudySummary } | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    afterSigning(StudyInstanceUID).then((x) => { if (live) setAfter(x); }, (e) => { if (live) setError(errorText(e)); });
    return () => { live = false; };
  }, [StudyInstanceUID, summary.SOPInstanceUID]);

  const openPdf = async () => {
    try {
      const f = await services.reports.getSignedReportFile(summary.SOPInstanceUID, 'report.pdf');
      download(f.fileName, f.mediaType, f.bytes);
      setError('');
    } catch (e) {
      setError(errorText(e));
    }
  };

  const time = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(summary.verifiedAt));
  const next = after?.next;
  return (
    <section className="report-signed" data-testid="report-signed-confirmation" data-sop-instance-uid={summary.SOPInstanceUID}
      data-state={after ? 'ready' : 'loading'} role="status">
      <h3>{t('ui.reports.signing.done.title')}</h3>
      <p data-testid="report-signed-by">
        {signer
          ? t('ui.reports.signing.done.by', { name: signer.displayName, organization: signer.organization, time })
          : t('ui.reports.signing.done.at', { time })}
      </p>
      {after?.study && (
        <p data-testid="report-study-status" data-status={after.study.status}>
          {t('ui.reports.signing.done.status', { status: t(`ui.worklist.status.${after.study.status}`) })}
        </p>
      )}
      <div className="report-sign-row">
        {summary.files.includes('report.pdf') && (
          <button type="button" data-testid="report-signed-pdf" onClick={() => void openPdf()}>{t('ui.reports.signing.done.pdf')}</button>
        )}
        {next && onOpenStudy && (
          <button type="button" className="primary" data-testid="report-next-study" data-study-uid={next.StudyInstanceUID}
            onClick={() => onOpenStudy(next.StudyInstanceUID)}>
            {t('ui.reports.signing.done.next', { description: next.StudyDescription || next.ModalitiesInStudy, accession: next.AccessionNumber })}
          </button>
        )}
        <button type="button" data-testid="report-amend" onClick={onAmend}>{t('ui.reports.signing.done.amend')}</button>
      </div>
      {after && !next && <p className="muted" data-testid="report-no-next-study">{t('ui.reports.signing.done.noNext')}</p>}
      {error && <p className="report-error" role="alert">{error}</p>}
    </section>
  );
}
