// Signing a report, as the radiologist sees it before committing to it: who the signature names
// (the stored identity's certificate holder and organisation, not editable: rule 3), every reason
// the draft cannot be signed listed together beside the Sign button in the language on screen
// (the host's own list, reports.validateDraft, so it is exactly why signing would refuse), a
// re-tag of mis-tagged text on the user's word, and the PDF that will be signed, rendered by the
// host and drawn here by pdf.js before signing (no frame or browser plugin, in either shell). Importing an identity from a PKCS#12 file is offered here too.
// `data-state` on the problem list says whether it is for what is saved now (`ready`) or being
// checked (`checking`), for the reader and for tests.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DraftProblem, ReportDraft, ReportTemplate, SignedReportSummary, SignerSummary, SigningObserver } from '../../core/contract/reports';
import { services } from '../shell';
import { errorText } from '../app/i18n';
import { PdfPages } from '../pdf/PdfPages';
import { IdentityImport } from './IdentityImport';
import './report-signing.css';

type Lang = 'zh-CN' | 'ru' | 'en';
const MISMATCH = 'reports.problem.languageMismatch';

export interface ReportSigningProps {
  draft: ReportDraft;
  template: ReportTemplate;
  /** True when what is on screen is what the host has saved. */
  saved: boolean;
  /** Sends a change still waiting to be saved, now. */
  flush(): Promise<void>;
  /** The draft as the host re-tagged it. */
  onRetagged(draft: ReportDraft): void;
  /** Signed: the report, and who its signature names (as shown before signing). */
  onSigned(summary: SignedReportSummary, signer: SigningObserver | null): void;
}

export function ReportSigning({ draft, template, saved, flush, onRetagged, onSigned }: ReportSigningProps) {
  const { t, i18n } = useTranslation();
  const lang = (['zh-CN', 'ru', 'en'].includes(i18n.language) ? i18n.language : 'en') as Lang;
  const [signers, setSigners] = useState<SignerSummary[] | null>(null);
  const [signer, setSigner] = useState('');
  const [identity, setIdentity] = useState<SigningObserver | null>(null);
  const [problems, setProblems] = useState<DraftProblem[] | null>(null);
  const [checkedFor, setCheckedFor] = useState<ReportDraft | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState<'' | 'signing' | 'retagging' | 'preview'>('');
  const [error, setError] = useState('');
  const [confirmRetag, setConfirmRetag] = useState(false);
  const [importing, setImporting] = useState(false);
  const [imported, setImported] = useState('');
  const [preview, setPreview] = useState<{ bytes: Uint8Array; of: ReportDraft; signer: string } | null>(null);

  const loadSigners = useCallback(async (choose?: string) => {
    const list = await services.reports.listSigners();
    setSigners(list);
    setSigner((s) => choose ?? (list.some((x) => x.name === s) ? s : list[0]?.name ?? ''));
  }, []);
  useEffect(() => {
    loadSigners().catch((e) => setError(errorText(e)));
  }, [loadSigners]);

  useEffect(() => {
    setIdentity(null);
    if (!signer) return;
    let live = true;
    services.reports.signingIdentity(signer).then((x) => { if (live) setIdentity(x); }, (e) => { if (live) setError(errorText(e)); });
    return () => { live = false; };
  }, [signer]);

  // The problems of what is saved, checked again after every save and for the chosen signer.
  useEffect(() => {
    if (!saved || signers === null) return;
    let live = true;
    services.reports.validateDraft(draft.draftId, signer || undefined).then(
      (ps) => { if (live) { setProblems(ps); setCheckedFor(draft); } },
      (e) => { if (live) setError(errorText(e)); },
    );
    return () => { live = false; };
  }, [saved, draft, signer, signers]);

  const showPreview = useCallback(async () => {
    if (!signer) return;
    setBusy('preview');
    setError('');
    try {
      await flush();
      const f = await services.reports.previewDraft(draft.draftId, signer);
      setPreview({ bytes: f.bytes, of: draft, signer });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
    }
  }, [signer, draft, flush]);
  const closePreview = () => setPreview(null);
  // An open preview follows the draft and the signer: once a change is saved, or another identity
  // is chosen, the PDF shown is rendered again.
  useEffect(() => {
    if (preview && saved && signer && (preview.of !== draft || preview.signer !== signer) && busy !== 'preview') void showPreview();
  }, [saved, draft, signer]);

  const retag = async () => {
    setBusy('retagging');
    setError('');
    try {
      await flush();
      onRetagged(await services.reports.retagDraft(draft.draftId));
      setConfirmRetag(false);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
    }
  };

  const sign = async () => {
    setBusy('signing');
    setError('');
    try {
      await flush();
      const s = await services.reports.signDraft(draft.draftId, signer, passphrase);
      setPassphrase('');
      onSigned(s, identity);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
    }
  };

  const current = problems !== null && checkedFor === draft && saved;
  const mismatches = (problems ?? []).filter((p) => p.code === MISMATCH);
  const sectionTitle = (id: string) => template.sections.find((s) => s.id === id)?.title[lang] ?? '';
  const canSign = current && problems!.length === 0 && !!identity && !!passphrase && !busy;

  return (
    <fieldset className="report-sign" data-testid="report-sign">
      <legend>{t('ui.reports.sign.title')}</legend>
      {signers !== null && signers.length === 0 && (
        <p className="report-sign-none" data-testid="report-no-signer">{t('ui.reports.signing.noIdentity')}</p>
      )}
      {signers !== null && signers.length > 0 && (
        <>
          <label className="report-sign-row">
            <span>{t('ui.reports.signing.identity')}</span>
            <select data-testid="report-signer" value={signer} onChange={(e) => setSigner(e.target.value)}>
              {signers.map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
            </select>
          </label>
          {/* Who the signed report will name: read from the certificate, not typed (rule 3). */}
          <dl className="report-signer-identity" data-testid="report-signer-identity" data-state={identity ? 'ready' : 'loading'}>
            <dt>{t('ui.reports.signing.reader')}</dt>
            <dd data-testid="report-signer-name">{identity ? identity.displayName || '—' : '…'}</dd>
            <dt>{t('ui.reports.signing.organization')}</dt>
            <dd data-testid="report-signer-organization">{identity ? identity.organization || '—' : '…'}</dd>
            <dt>{t('ui.reports.signing.certificate')}</dt>
            <dd className="small">{identity?.subject ?? '…'}</dd>
          </dl>
          <p className="muted small">{t('ui.reports.signing.fromCertificate')}</p>
        </>
      )}
      {/* Without an identity the import is what there is to do, so it is open; otherwise on request. */}
      {signers !== null && signers.length > 0 && (
        <button type="button" className="link" data-testid="identity-import-toggle" aria-expanded={importing} onClick={() => setImporting((x) => !x)}>
          {t('ui.reports.signing.import.open')}
        </button>
      )}
      {(importing || signers?.length === 0) && (
        <IdentityImport onImported={(s) => { setImporting(false); setImported(s.name); void loadSigners(s.name); }} />
      )}
      {imported && !importing && signers?.length !== 0 && <p className="report-ok" data-testid="identity-imported">{t('ui.reports.signing.import.done', { name: imported })}</p>}

      <div className="report-problems" data-testid="report-problems" data-state={current ? 'ready' : 'checking'} data-count={current ? problems!.length : undefined}
        role="status" aria-live="polite">
        {current && problems!.length === 0 && <p className="report-ok">{t('ui.reports.signing.noProblems')}</p>}
        {(problems ?? []).length > 0 && (
          <>
            <p className="report-problems-head">{t('ui.reports.signing.problems', { count: problems!.length })}</p>
            <ul>
              {problems!.map((p, i) => (
                <li key={`${p.code}-${p.field}-${i}`} data-testid="report-problem" data-code={p.code}>{p.message[lang]}</li>
              ))}
            </ul>
          </>
        )}
        {current && mismatches.length > 0 && !confirmRetag && (
          <button type="button" data-testid="report-retag" onClick={() => setConfirmRetag(true)}>{t('ui.reports.signing.retag.offer')}</button>
        )}
        {current && mismatches.length > 0 && confirmRetag && (
          <div className="report-retag-confirm" data-testid="report-retag-confirm" role="group" aria-label={t('ui.reports.signing.retag.question')}>
            <p>{t('ui.reports.signing.retag.question')}</p>
            <ul>
              {mismatches.map((p, i) => (
                <li key={i}>{t('ui.reports.signing.retag.item', {
                  section: sectionTitle(String(p.params.section)),
                  from: t(`reports.language.${p.params.tagged}`),
                  to: t(`reports.language.${p.params.detected}`),
                })}</li>
              ))}
            </ul>
            <button type="button" data-testid="report-retag-yes" disabled={!!busy} onClick={() => void retag()}>{t('ui.reports.signing.retag.yes')}</button>
            <button type="button" data-testid="report-retag-no" onClick={() => setConfirmRetag(false)}>{t('ui.reports.signing.retag.no')}</button>
          </div>
        )}
      </div>

      {error && <p className="report-error" data-testid="report-sign-error" role="alert">{error}</p>}

      {signers !== null && signers.length > 0 && (
        <div className="report-sign-row">
          <button type="button" data-testid="report-preview-button" disabled={!identity || !!busy} onClick={() => void showPreview()}>
            {t('ui.reports.signing.preview.open')}
          </button>
          <input type="password" data-testid="report-passphrase" autoComplete="off" value={passphrase}
            aria-label={t('ui.reports.sign.passphrase')} placeholder={t('ui.reports.sign.passphrase')}
            onChange={(e) => setPassphrase(e.target.value)} />
          <button type="button" data-testid="report-sign-button" disabled={!canSign} onClick={() => void sign()}>
            {busy === 'signing' ? t('ui.reports.signing.signing') : t('ui.reports.sign.button')}
          </button>
        </div>
      )}

      {preview && (
        <div className="report-preview" data-testid="report-preview-panel">
          <div className="report-sign-row">
            <strong>{t('ui.reports.signing.preview.title')}</strong>
            <span className="muted small">{t('ui.reports.signing.preview.note')}</span>
            <button type="button" data-testid="report-preview-close" onClick={closePreview}>{t('ui.reports.signing.preview.close')}</button>
          </div>
          {/* The host's PDF, drawn in the page by pdf.js (no frame: CSP frame-src 'none'). */}
          <div className="report-preview-pages" data-testid="report-preview">
            <PdfPages bytes={preview.bytes} label={t('ui.reports.signing.preview.title')} />
          </div>
        </div>
      )}
    </fieldset>
  );
}
