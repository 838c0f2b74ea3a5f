// Importing a signing identity from the UI, as `amur identity import` does: a PKCS#12 file (.p12,
// .pfx) chosen here, its passphrase, and the name it is kept under. The host opens the file, refuses
// one that cannot sign (wrong passphrase, expired, not yet valid, not PKCS#12, a name already
// taken) with the reason in the language on screen, and stores nothing then.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SignerSummary } from '../../core/contract/reports';
import { services } from '../shell';
import { errorText } from '../app/i18n';
import { identityNameFromFile } from './identity-name';


export function IdentityImport({ onImported }: { onImported(s: SignerSummary): void }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState<SignerSummary | null>(null);

  const submit = async () => {
    if (!file) return;
    setBusy(true);
    setError('');
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const s = await services.reports.importSigner(bytes, passphrase, { name, fileName: file.name });
      setPassphrase('');
      setDone(s);
      onImported(s);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="identity-import" data-testid="identity-import" data-state={busy ? 'importing' : error ? 'failed' : done ? 'done' : 'idle'}>
      <p className="muted small">{t('ui.reports.signing.import.hint')}</p>
      <label className="report-sign-row">
        <span>{t('ui.reports.signing.import.file')}</span>
        <input type="file" accept=".p12,.pfx,application/x-pkcs12" data-testid="identity-import-file"
          onChange={(e) => {
            const f = e.target.files?.[0] ?? null;
            setFile(f);
            setDone(null);
            setError('');
            if (f && !name) setName(identityNameFromFile(f.name));
          }} />
      </label>
      <label className="report-sign-row">
        <span>{t('ui.reports.signing.import.name')}</span>
        <input type="text" data-testid="identity-import-name" value={name} maxLength={64} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="report-sign-row">
        <span>{t('ui.reports.signing.import.passphrase')}</span>
        <input type="password" data-testid="identity-import-passphrase" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
      </label>
      <button type="button" data-testid="identity-import-button" disabled={!file || !name || !passphrase || busy} onClick={() => void submit()}>
        {t('ui.reports.signing.import.button')}
      </button>
      {error && <p className="report-error" data-testid="identity-import-error" role="alert">{error}</p>}
    </div>
  );
}
