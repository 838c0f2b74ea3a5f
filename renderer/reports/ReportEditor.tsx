// The report editor: the study's draft (created on first open, then reopened), the template's
// pick-list findings in the partner's language (zh-CN) beside the reader's, the AI's proposals to
// accept or reject (assistive, with the model named), free text with the language it is written in,
// the impression, and signing with a stored identity (ReportSigning.tsx: the signer
// from the certificate, every problem beside the Sign button, the PDF previewed before signing).
// Every change is saved by the host (debounced); `data-save-state` says whether what is on screen
// is saved, for the reader and for tests. Once signed, the editor says so and offers the signed
// PDF and the next study; an amendment starts only when the radiologist asks for one.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ReportDraft, ReportTemplate, SignedReportSummary, SigningObserver } from '../../core/contract/reports';
import { ReportMeasurements } from './ReportMeasurements';
import { ReportSigning } from './ReportSigning';
import { SignedConfirmation } from './SignedConfirmation';
import { errorText } from '../app/i18n';
import { download } from '../download';
import { services } from '../shell';
import './reports.css';

type Lang = 'zh-CN' | 'ru' | 'en';
type SaveState = 'loading' | 'saved' | 'pending' | 'saving' | 'error';

const SAVE_DELAY_MS = 400;

export function ReportEditor({ StudyInstanceUID, onOpenStudy }: { StudyInstanceUID: string; onOpenStudy?(StudyInstanceUID: string): void }) {
  const { t, i18n } = useTranslation();
  const [draft, setDraft] = useState<ReportDraft | null>(null);
  const [templates, setTemplates] = useState<ReportTemplate[]>([]);
  const [signed, setSigned] = useState<SignedReportSummary[]>([]);
  /** The report signed in this editor (or the latest one, when the study has no draft open). */
  const [justSigned, setJustSigned] = useState<{ summary: SignedReportSummary; signer?: SigningObserver } | null>(null);
  const [save, setSave] = useState<SaveState>('loading');
  const [error, setError] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef<ReportDraft | null>(null);
  /** A change is on screen that has not been sent to the host yet. */
  const pending = useRef(false);
  /** The save sent and not yet answered. */
  const inFlight = useRef<Promise<void> | undefined>(undefined);

  const load = useCallback(async () => {
    setSave('loading');
    const [tpl, drafts, done] = await Promise.all([
      services.reports.listTemplates(),
      services.reports.listDrafts(StudyInstanceUID),
      services.reports.listSignedReports(StudyInstanceUID),
    ]);
    setTemplates(tpl);
    setSigned(done);
    // A study already reported opens on its signed report; an amendment is started on request.
    if (!drafts[0] && done[0]) {
      setJustSigned({ summary: done[0] });
      setSave('saved');
      return;
    }
    const uiReader: 'ru' | 'en' = i18n.language === 'en' ? 'en' : 'ru';
    const d = drafts[0]
      ? await services.reports.getDraft(drafts[0].draftId)
      : await services.reports.createDraft(StudyInstanceUID, { reader: uiReader });
    latest.current = d;
    setDraft(d);
    setSave('saved');
  }, [StudyInstanceUID, i18n]);

  useEffect(() => {
    load().catch((e) => { setError(errorText(e)); setSave('error'); });
    // Closing the editor (or the study, or the page) with a save still waiting sends it now.
    const flush = () => {
      if (pending.current && latest.current) void services.reports.saveDraft(latest.current).catch(() => undefined);
      pending.current = false;
      clearTimeout(timer.current);
    };
    addEventListener('pagehide', flush);
    return () => {
      removeEventListener('pagehide', flush);
      flush();
    };
  }, [load]);

  /** Applies a change on screen at once and saves it shortly after (the last change wins). */
  const change = useCallback((f: (d: ReportDraft) => ReportDraft) => {
    const next = f(latest.current!);
    latest.current = next;
    setDraft(next);
    setSave('pending');
    pending.current = true;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      pending.current = false;
      const toSave = latest.current!;
      setSave('saving');
      const p = services.reports.saveDraft(toSave).then(
        () => { if (latest.current === toSave) setSave('saved'); },
        (e) => { setError(errorText(e)); setSave('error'); },
      );
      inFlight.current = p;
      void p.finally(() => { if (inFlight.current === p) inFlight.current = undefined; });
    }, SAVE_DELAY_MS);
  }, []);

  /** Saves a change still waiting, now (before a preview, a re-tag or signing). */
  const flush = useCallback(async () => {
    clearTimeout(timer.current);
    // A save already on its way lands first, so what follows reads what is on screen.
    await inFlight.current;
    if (!pending.current || !latest.current) return;
    pending.current = false;
    const toSave = latest.current;
    setSave('saving');
    await services.reports.saveDraft(toSave);
    if (latest.current === toSave) setSave('saved');
  }, []);

  /** The signed PDF, opened by the host from its sealed copy, offered to save. */
  const savePdf = async (SOPInstanceUID: string) => {
    try {
      const f = await services.reports.getSignedReportFile(SOPInstanceUID, 'report.pdf');
      download(f.fileName, f.mediaType, f.bytes);
      setError('');
    } catch (e) {
      setError(errorText(e));
    }
  };

  /** The study's signed reports, newest first, each with its PDF to save. */
  const signedList = () => signed.length > 0 && (
    <ul className="signed-reports" data-testid="signed-reports">
      {signed.map((s) => (
        <li key={s.SOPInstanceUID} data-testid="signed-report" data-sop-instance-uid={s.SOPInstanceUID}>
          {t('ui.reports.signedAt', { time: s.verifiedAt.replace('T', ' ').replace('Z', ' UTC') })} · {s.SOPInstanceUID}
          {s.predecessor && <> · {t('ui.reports.amendsShort', { uid: s.predecessor })}</>}
          {s.files.includes('report.pdf') && (
            <> · <button type="button" data-testid="signed-report-pdf" onClick={() => void savePdf(s.SOPInstanceUID)}>{t('ui.reports.savePdf')}</button></>
          )}
        </li>
      ))}
    </ul>
  );

  /** An amendment of the latest signed report, started by the radiologist. */
  const amend = async () => {
    setError('');
    try {
      const next = await services.reports.createDraft(StudyInstanceUID, { reader: i18n.language === 'en' ? 'en' : 'ru', amends: (justSigned?.summary ?? signed[0])!.SOPInstanceUID });
      latest.current = next;
      setDraft(next);
      setJustSigned(null);
      setSave('saved');
    } catch (e) {
      setError(errorText(e));
    }
  };

  const template = templates.find((x) => x.id === draft?.template.id);
  if (justSigned && !draft) {
    return (
      <section className="report-editor" data-testid="report-editor" data-state="signed">
        {error && <p className="report-error" data-testid="report-error" role="alert">{error}</p>}
        <SignedConfirmation StudyInstanceUID={StudyInstanceUID} summary={justSigned.summary} signer={justSigned.signer}
          onOpenStudy={onOpenStudy} onAmend={() => void amend()} />
        {signedList()}
      </section>
    );
  }
  if (!draft || !template) {
    return (
      <section className="report-editor" data-testid="report-editor" data-state={save}>
        {error ? <p className="report-error" data-testid="report-error">{error}</p> : <p>{t('ui.reports.loading')}</p>}
      </section>
    );
  }

  const reader = draft.languages.reader;
  const shown: Lang[] = ['zh-CN', reader];
  const findingsSection = template.sections.find((s) => s.kind === 'findings')!;
  const selected = new Set(draft.findings.map((f) => f.id));
  const textOf = (section: string) => draft.texts.find((x) => x.section === section);
  const impressionOf = (lang: Lang) => draft.impression.find((x) => x.lang === lang)?.text ?? '';
  // The reader's two languages, and any other an impression was re-tagged to (it stays visible).
  const impressionLanguages: Lang[] = [...shown, ...draft.impression.map((x) => x.lang as Lang).filter((l) => !shown.includes(l))];

  const setText = (section: string, patch: { text?: string; lang?: Lang }) => change((d) => {
    const cur = d.texts.find((x) => x.section === section) ?? { section, lang: reader as Lang, text: '' };
    // The language mark is the radiologist's: a mark that contradicts the text's script is listed
    // beside the Sign button and changed only on their word (ReportSigning's re-tag).
    const next = { ...cur, ...patch };
    return { ...d, texts: [...d.texts.filter((x) => x.section !== section), next] };
  });
  const setImpression = (lang: Lang, text: string) => change((d) => ({
    ...d,
    impression: [...d.impression.filter((x) => x.lang !== lang), ...(text ? [{ lang, text }] : [])].sort((a, b) => shown.indexOf(a.lang as Lang) - shown.indexOf(b.lang as Lang)),
  }));

  const onSigned = (summary: SignedReportSummary, signer: SigningObserver | null) => {
    clearTimeout(timer.current);
    pending.current = false;
    setSigned((xs) => [summary, ...xs]);
    latest.current = null;
    setDraft(null);
    setJustSigned({ summary, ...(signer ? { signer } : {}) });
  };

  return (
    <section className="report-editor" data-testid="report-editor" data-state="ready" data-save-state={save} data-draft-id={draft.draftId}>
      <header className="report-head">
        <h2 lang="zh-CN">{template.title['zh-CN']}</h2>
        <h2 lang={reader}>{template.title[reader]}</h2>
        <label>
          {t('ui.reports.template')}
          {/* The template can change until findings are picked from it (their ids are the template's). */}
          <select data-testid="report-template" value={template.id} disabled={draft.findings.length > 0}
            onChange={(e) => {
              const next = templates.find((x) => x.id === e.target.value)!;
              const ids = new Set(next.sections.find((x) => x.kind === 'findings')!.findings!.map((f) => f.id));
              change((d) => ({
                ...d,
                template: { id: next.id, version: next.version },
                texts: d.texts.filter((x) => next.sections.some((sec) => sec.id === x.section && sec.kind !== 'impression')),
                aiFindings: d.aiFindings.filter((a) => ids.has(a.findingId)),
              }));
            }}>
            {templates.map((x) => <option key={x.id} value={x.id}>{x.title[reader]} / {x.title['zh-CN']}</option>)}
          </select>
        </label>
        <label>
          {t('ui.reports.readerLanguage')}
          <select data-testid="report-reader" value={reader} onChange={(e) => change((d) => ({ ...d, languages: { ...d.languages, reader: e.target.value as 'ru' | 'en' } }))}>
            <option value="ru">Русский</option>
            <option value="en">English</option>
          </select>
        </label>
        <span className="save-state" data-testid="report-save-state">{t(`ui.reports.save.${save}`)}</span>
      </header>
      {draft.predecessor && <p className="amends" data-testid="report-amends">{t('ui.reports.amends', { uid: draft.predecessor.SOPInstanceUID })}</p>}
      {error && <p className="report-error" data-testid="report-error" role="alert">{error}</p>}

      {draft.aiFindings.length > 0 && (
        <fieldset className="ai-findings" data-testid="report-ai">
          <legend>{t('ui.reports.ai.title')}</legend>
          <p className="assistive">{t('ui.reports.ai.assistive')}</p>
          {draft.aiFindings.map((a) => {
            const f = findingsSection.findings!.find((x) => x.id === a.findingId)!;
            return (
              <div key={a.id} className="ai-finding" data-testid="report-ai-finding" data-finding-id={a.findingId} data-status={a.status}>
                <span lang="zh-CN">{f.text['zh-CN']}</span> / <span lang={reader}>{f.text[reader]}</span>
                <small> {a.model.name} {a.model.version}{a.score !== undefined ? ` · ${a.score.toFixed(2)}` : ''}</small>
                {(['accepted', 'rejected'] as const).map((s) => (
                  <button key={s} type="button" data-testid={`report-ai-${s === 'accepted' ? 'accept' : 'reject'}`} aria-pressed={a.status === s}
                    onClick={() => change((d) => ({ ...d, aiFindings: d.aiFindings.map((x) => (x.id === a.id ? { ...x, status: s } : x)) }))}>
                    {t(`ui.reports.ai.${s}`)}
                  </button>
                ))}
              </div>
            );
          })}
        </fieldset>
      )}

      {template.sections.map((s) => (
        <fieldset key={s.id} className={`report-section report-${s.kind}`} data-testid={`report-section-${s.id}`}>
          <legend><span lang="zh-CN">{s.title['zh-CN']}</span> / <span lang={reader}>{s.title[reader]}</span></legend>
          {s.kind === 'findings' && (
            <ul className="picklist">
              {s.findings!.map((f) => (
                <li key={f.id}>
                  <label>
                    <input type="checkbox" data-testid="report-finding" data-finding-id={f.id} checked={selected.has(f.id)}
                      onChange={(e) => change((d) => ({ ...d, findings: e.target.checked ? [...d.findings, { id: f.id }] : d.findings.filter((x) => x.id !== f.id) }))} />
                    <span lang="zh-CN">{f.text['zh-CN']}</span>
                    <span lang={reader}>{f.text[reader]}</span>
                    <small>{f.codes.length ? f.codes.map((c) => `${c.scheme} ${c.value}`).join(' · ') : t('ui.reports.uncoded')}</small>
                  </label>
                </li>
              ))}
            </ul>
          )}
          {s.kind === 'findings' && <ReportMeasurements StudyInstanceUID={StudyInstanceUID} />}
          {s.kind === 'impression' ? (
            impressionLanguages.map((lang) => (
              <label key={lang} className="free-text">
                <span>{t(`reports.language.${lang}`)}</span>
                <textarea lang={lang} data-testid={`report-impression-${lang}`} value={impressionOf(lang)} onChange={(e) => setImpression(lang, e.target.value)} />
              </label>
            ))
          ) : (
            <div className="free-text">
              <select aria-label={t('ui.reports.writtenIn')} data-testid={`report-text-lang-${s.id}`} value={textOf(s.id)?.lang ?? reader}
                onChange={(e) => setText(s.id, { lang: e.target.value as Lang })}>
                {(['zh-CN', 'ru', 'en'] as const).map((l) => <option key={l} value={l}>{t(`reports.language.${l}`)}</option>)}
              </select>
              <textarea lang={textOf(s.id)?.lang ?? reader} data-testid={`report-text-${s.id}`} value={textOf(s.id)?.text ?? ''}
                onChange={(e) => setText(s.id, { text: e.target.value })} />
            </div>
          )}
        </fieldset>
      ))}

      <ReportSigning draft={draft} template={template} saved={save === 'saved'} flush={flush} onSigned={onSigned}
        onRetagged={(d) => { latest.current = d; setDraft(d); setSave('saved'); }} />

      {signedList()}
    </section>
  );
}
