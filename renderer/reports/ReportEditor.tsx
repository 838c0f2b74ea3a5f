// The report editor: the study's draft (created on first open, then reopened), the template's
// pick-list findings in the partner's language (zh-CN) beside the reader's, the AI's proposals to
// accept or reject (assistive, with the model named), free text with the language it is written in,
// the impression, and signing with a stored identity. Every change is saved by the host (debounced);
// `data-save-state` says whether what is on screen is saved, for the reader and for tests.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ReportDraft, ReportTemplate, SignedReportSummary, SignerSummary } from '../../core/contract/reports';
import { ReportMeasurements } from '../report';
import { download } from '../download';
import { services } from '../shell';
import './reports.css';

type Lang = 'zh-CN' | 'ru' | 'en';
type SaveState = 'loading' | 'saved' | 'pending' | 'saving' | 'error';

const SAVE_DELAY_MS = 400;

function errorText(e: unknown, t: (k: string, o?: Record<string, unknown>) => string, exists: (k: string) => boolean): string {
  const err = e as { code?: string; params?: Record<string, unknown>; message?: string };
  const key = `errors.${err.code ?? 'internal'}`;
  return err.code && exists(key) ? t(key, err.params ?? {}) : t('errors.internal', { detail: err.message ?? String(e) });
}

/** The language a text's script shows beyond doubt: Han → zh-CN, Cyrillic → ru, Latin only → en. */
function scriptLanguage(text: string): Lang | undefined {
  const han = /\p{Script=Han}/u.test(text);
  const cyrillic = /\p{Script=Cyrillic}/u.test(text);
  const latin = /\p{Script=Latin}/u.test(text);
  if (han && !cyrillic) return 'zh-CN';
  if (cyrillic && !han) return 'ru';
  if (latin && !han && !cyrillic) return 'en';
  return undefined;
}

export function ReportEditor({ StudyInstanceUID }: { StudyInstanceUID: string }) {
  const { t, i18n } = useTranslation();
  const exists = useCallback((k: string) => i18n.exists(k), [i18n]);
  const [draft, setDraft] = useState<ReportDraft | null>(null);
  const [templates, setTemplates] = useState<ReportTemplate[]>([]);
  const [signers, setSigners] = useState<SignerSummary[]>([]);
  const [signed, setSigned] = useState<SignedReportSummary[]>([]);
  const [save, setSave] = useState<SaveState>('loading');
  const [error, setError] = useState('');
  const [signer, setSigner] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [signing, setSigning] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef<ReportDraft | null>(null);
  /** A change is on screen that has not been sent to the host yet. */
  const pending = useRef(false);

  const load = useCallback(async () => {
    setSave('loading');
    const [tpl, drafts, sg, done] = await Promise.all([
      services.reports.listTemplates(),
      services.reports.listDrafts(StudyInstanceUID),
      services.reports.listSigners(),
      services.reports.listSignedReports(StudyInstanceUID),
    ]);
    setTemplates(tpl);
    setSigners(sg);
    setSigner((s) => s || sg[0]?.name || '');
    setSigned(done);
    const uiReader: 'ru' | 'en' = i18n.language === 'en' ? 'en' : 'ru';
    const d = drafts[0]
      ? await services.reports.getDraft(drafts[0].draftId)
      : await services.reports.createDraft(StudyInstanceUID, { reader: uiReader, ...(done[0] ? { amends: done[0].SOPInstanceUID } : {}) });
    latest.current = d;
    setDraft(d);
    setSave('saved');
  }, [StudyInstanceUID, i18n]);

  useEffect(() => {
    load().catch((e) => { setError(errorText(e, t, exists)); setSave('error'); });
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
    // t and exists change with the language; reloading the draft for that is not wanted.
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
      services.reports.saveDraft(toSave).then(
        () => { if (latest.current === toSave) setSave('saved'); },
        (e) => { setError(errorText(e, t, exists)); setSave('error'); },
      );
    }, SAVE_DELAY_MS);
  }, [t, exists]);

  const template = templates.find((x) => x.id === draft?.template.id);
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
  const undecided = draft.aiFindings.filter((a) => a.status === 'proposed').length;

  const setText = (section: string, patch: { text?: string; lang?: Lang }) => change((d) => {
    const cur = d.texts.find((x) => x.section === section) ?? { section, lang: reader as Lang, text: '' };
    const next = { ...cur, ...patch };
    // Free text is marked with the language it is written in: when the script plainly says another
    // language than the one selected, the mark follows the script (the radiologist can still change it).
    if (patch.text !== undefined) next.lang = scriptLanguage(patch.text) ?? next.lang;
    return { ...d, texts: [...d.texts.filter((x) => x.section !== section), next] };
  });
  const setImpression = (lang: Lang, text: string) => change((d) => ({
    ...d,
    impression: [...d.impression.filter((x) => x.lang !== lang), ...(text ? [{ lang, text }] : [])].sort((a, b) => shown.indexOf(a.lang as Lang) - shown.indexOf(b.lang as Lang)),
  }));

  const sign = async () => {
    clearTimeout(timer.current);
    pending.current = false;
    setSigning(true);
    setError('');
    try {
      await services.reports.saveDraft(latest.current!);
      const s = await services.reports.signDraft(draft.draftId, signer, passphrase);
      setPassphrase('');
      setSigned((xs) => [s, ...xs]);
      const next = await services.reports.createDraft(StudyInstanceUID, { reader, amends: s.SOPInstanceUID });
      latest.current = next;
      setDraft(next);
      setSave('saved');
    } catch (e) {
      setError(errorText(e, t, exists));
    } finally {
      setSigning(false);
    }
  };

  /** The signed PDF, opened by the host from its sealed copy, offered to save. */
  const savePdf = async (SOPInstanceUID: string) => {
    try {
      const f = await services.reports.getSignedReportFile(SOPInstanceUID, 'report.pdf');
      download(f.fileName, f.mediaType, f.bytes);
      setError('');
    } catch (e) {
      setError(errorText(e, t, exists));
    }
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
            shown.map((lang) => (
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

      <fieldset className="report-observer">
        <legend>{t('ui.reports.observer')}</legend>
        <label>{t('ui.reports.observerName')}
          <input data-testid="report-observer-name" value={draft.observer.name} placeholder="Family^Given"
            onChange={(e) => change((d) => ({ ...d, observer: { ...d.observer, name: e.target.value } }))} />
        </label>
        <label>{t('ui.reports.organization')}
          <input data-testid="report-organization" value={draft.observer.organization}
            onChange={(e) => change((d) => ({ ...d, observer: { ...d.observer, organization: e.target.value } }))} />
        </label>
      </fieldset>

      <fieldset className="report-sign" data-testid="report-sign">
        <legend>{t('ui.reports.sign.title')}</legend>
        {signers.length === 0 ? <p>{t('ui.reports.sign.noSigners')}</p> : (
          <>
            <select data-testid="report-signer" value={signer} onChange={(e) => setSigner(e.target.value)}>
              {signers.map((s) => <option key={s.name} value={s.name}>{s.name} — {s.subject}</option>)}
            </select>
            <input type="password" data-testid="report-passphrase" autoComplete="off" value={passphrase} placeholder={t('ui.reports.sign.passphrase')}
              onChange={(e) => setPassphrase(e.target.value)} />
            <button type="button" data-testid="report-sign-button" disabled={signing || !passphrase || undecided > 0} onClick={() => void sign()}>
              {t('ui.reports.sign.button')}
            </button>
            {undecided > 0 && <small>{t('ui.reports.sign.undecided', { count: undecided })}</small>}
          </>
        )}
      </fieldset>

      {signed.length > 0 && (
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
      )}
    </section>
  );
}
