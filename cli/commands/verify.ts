// `amur verify FILE|DIR… --trust CERT.pem… [--json]`: checks every signature of each file (DICOM
// digital signatures, PDF signatures, SM2 package manifests), the integrity of what they sign and
// the signer against the trusted certificates, validity at signing time included. Prints one
// verdict per file in the reader's language; exits 0 only when every file is valid.
import { audit } from '../../core/audit/index.js';
import { amurHome } from '../../core/common/paths.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, t, type Language } from '../../core/i18n/index.js';
import { AmurError } from '../../core/common/errors.js';
import { loadCertificates, SIGNATURE_SUFFIX, verifyFile, type FileVerification, type Problem, type SignatureCheck } from '../../core/signing/index.js';
import type { CliContext, Command } from '../command.js';

/** A certificate file: PEM with a certificate, or a DER file named like one. */
function looksLikeCertificate(path: string): boolean {
  if (/\.(pem|crt|cer|der)$/i.test(path)) return true;
  try {
    return readFileSync(path).subarray(0, 4096).toString('latin1').includes('-----BEGIN CERTIFICATE-----');
  } catch {
    return false;
  }
}

/**
 * Files and trusted certificates. `--trust` takes the certificate files that follow it (so both
 * `--trust a.pem b.pem` and `--trust a.pem --trust b.pem` work), in any position.
 */
export function parseVerifyArgs(args: string[]): { files: string[]; trust: string[]; json: boolean } {
  const files: string[] = [];
  const trust: string[] = [];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--trust') {
      while (i + 1 < args.length && !args[i + 1]!.startsWith('--')) {
        const next = args[i + 1]!;
        if (trust.length > 0 && !looksLikeCertificate(next)) break;
        trust.push(next);
        i++;
      }
    } else if (a.startsWith('--trust=')) trust.push(a.slice(8));
    else if (a.startsWith('--')) throw new AmurError('signing.usage', { usage: verifyCommand.usage });
    else files.push(a);
  }
  return { files, trust, json };
}

/**
 * A folder stands for the files in it (a signed report's output folder, say), in name order; the
 * SM2 signature files are left out because their manifest's check covers them.
 */
function expandFolders(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // missing: verifyFile reports it as unreadable
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    for (const name of readdirSync(p).sort()) {
      const f = join(p, name);
      if (name.endsWith(SIGNATURE_SUFFIX) || name.startsWith('.') || !statSync(f).isFile()) continue;
      out.push(f);
    }
  }
  return out;
}

function problemText(p: Problem, lang: Language): string {
  return errorMessage(new AmurError(p.code, p.params), lang);
}

function signatureLine(s: SignatureCheck, lang: Language): string {
  const kind = t(`signing.cli.kind.${s.kind === 'pdf' && s.embedded ? 'embeddedPdf' : s.kind}`, {}, lang);
  if (!s.signer) return t('signing.cli.signatureNoSigner', { kind }, lang);
  return t('signing.cli.signature', { kind, subject: s.signer.subject, time: s.signingTime ?? '?' }, lang);
}

/** Trusted time, on the signature's line: the TSA and its time, an invalid time-stamp, or none. */
function timestampText(s: SignatureCheck, lang: Language): string {
  if (s.kind !== 'dicom' && s.kind !== 'pdf') return '';
  const ts = s.timestamp;
  if (!ts) return `; ${t('signing.cli.noTimestamp', {}, lang)}`;
  if (ts.valid) return `; ${t('signing.cli.timestamp', { tsa: ts.tsa ?? '?', time: ts.genTime ?? '?' }, lang)}`;
  return `; ${t('signing.cli.timestampInvalid', {}, lang)}`;
}

function render(v: FileVerification, lang: Language): string {
  const verdict = t(v.valid ? 'signing.cli.valid' : 'signing.cli.invalid', {}, lang);
  const lines = [`${v.path}: ${verdict}`];
  for (const p of v.problems) lines.push(`  - ${problemText(p, lang)}`);
  for (const s of v.signatures) {
    lines.push(`  ${s.valid ? '✓' : '✗'} ${signatureLine(s, lang)}${timestampText(s, lang)}`);
    for (const p of s.problems) lines.push(`      - ${problemText(p, lang)}`);
  }
  return lines.join('\n');
}

export const verifyCommand: Command = {
  name: 'verify',
  summaryKey: 'signing.cli.verifySummary',
  usage: 'verify FILE|DIR… --trust CERT.pem… [--json]',
  async run(args: string[], ctx: CliContext) {
    const { files, trust, json } = parseVerifyArgs(args);
    if (trust.length === 0) {
      ctx.stderr.write(`${t('signing.cli.needTrust', {}, ctx.lang)}\n`);
      return 2;
    }
    if (files.length === 0) {
      ctx.stderr.write(`${t('signing.cli.needFiles', {}, ctx.lang)}\n`);
      return 2;
    }
    const certs = loadCertificates(trust);
    const results = expandFolders(files).map((f) => verifyFile(f, certs));
    if (json) {
      const withText = results.map((r) => ({
        ...r,
        problems: r.problems.map((p) => ({ ...p, message: problemText(p, ctx.lang) })),
        signatures: r.signatures.map((s) => ({ ...s, problems: s.problems.map((p) => ({ ...p, message: problemText(p, ctx.lang) })) })),
      }));
      ctx.stdout.write(`${JSON.stringify(withText, null, 2)}\n`);
    } else {
      for (const r of results) ctx.stdout.write(`${render(r, ctx.lang)}\n`);
      const bad = results.filter((r) => !r.valid).length;
      ctx.stdout.write(
        `${bad === 0 ? t('signing.cli.allValid', { count: results.length }, ctx.lang) : t('signing.cli.someInvalid', { bad, count: results.length }, ctx.lang)}\n`,
      );
    }
    // A failed verification is a security event of this workstation (rule 7): which object, and why,
    // by code, never the file's name (a folder may be named after a patient).
    const failed = results.filter((r) => !r.valid);
    if (failed.length) {
      const codes = [...new Set(failed.flatMap((r) => [...r.problems, ...r.signatures.flatMap((s) => s.problems)].map((p) => p.code)))];
      audit(amurHome(ctx.env), { action: 'verification.failure', outcome: 'seriousFailure', role: 'reader',
        detail: { object: 'signed file', files: failed.length, of: results.length, codes: codes.join(' ') } });
    }
    return failed.length ? 1 : 0;
  },
};
