// `amur report draft --study UID [--template ID] [--reader ru|en] [--amends SR.dcm]`
// prints a new report draft (JSON, README "Report draft") for a study in the store under AMUR_HOME,
// with the local AI's positive findings proposed (status "proposed") for the radiologist to decide.
// `amur report sign DRAFT.json --identity FILE.p12 --passphrase-file FILE --out DIR
//   [--sm2-identity FILE.p12 [--sm2-passphrase-file FILE]] [--tsa URL] [--retag]` signs it into DIR: report-sr.dcm
// (Comprehensive SR) and report-pdf.dcm (Encapsulated PDF) with DICOM signatures, report.pdf with a
// PAdES signature, and with an SM2 identity also package.manifest.json + .sig (SM2-with-SM3).
// The reading radiologist the report names is the signing certificate's subject, printed before
// anything is signed; a draft a radiologist would not sign is refused with every reason at once, and
// nothing is written. --retag marks texts whose script contradicts their language tag with the
// language they are written in (each change printed); without it such a draft is refused.
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { errorMessage, t } from '../../core/i18n/index.js';
import type { ReaderLanguage } from '../../core/reports/draft.js';
import { newDraftForStudy } from '../../core/reports/new-draft.js';
import { assertSignable, ReportNotSignable, retagLanguages } from '../../core/reports/problems.js';
import { readDraft, signDraftInto } from '../../core/reports/sign.js';
import { assertMaySign, auditSignature, queueSignedReport } from '../../core/cases/reporting.js';
import { getAgreement } from '../../core/agreements/index.js';
import { loadIdentity, observerFromCertificate } from '../../core/signing/index.js';
import { parseArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { recordDraft, recordSigned } from '../../core/studies/reports.js';
import { openStore } from '../vault.js';
import { readPassphraseFile } from './identity.js';

function usage(): never {
  throw new AmurError('reports.usage');
}

function parse(args: string[], valued: string[], flags: string[] = []) {
  return parseArgs(args, { valued, flags }, usage);
}

async function draft(args: string[], ctx: CliContext): Promise<number> {
  const { opts, rest } = parse(args, ['study', 'template', 'reader', 'observer', 'organization', 'amends']);
  // Who signs is who the report names (rule 3): a typed name would be thrown away at signing.
  if (opts.observer !== undefined || opts.organization !== undefined) throw new AmurError('reports.observerFromCertificate');
  if (!opts.study || rest.length) usage();
  const reader = (opts.reader ?? (ctx.lang === 'en' ? 'en' : 'ru')) as ReaderLanguage;
  if (reader !== 'ru' && reader !== 'en') usage();
  const store = openStore(ctx);
  try {
    const d = newDraftForStudy(store, opts.study, {
      templateId: opts.template,
      reader,
      amends: opts.amends,
    });
    // The study is in progress from now on (its status in `amur studies`): a draft of it exists.
    recordDraft(store, d.study.StudyInstanceUID, d.draftId);
    ctx.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
    return 0;
  } finally {
    store.close();
  }
}

async function sign(args: string[], ctx: CliContext): Promise<number> {
  const { opts, flags, rest } = parse(args, ['identity', 'passphrase-file', 'out', 'sm2-identity', 'sm2-passphrase-file', 'tsa'], ['retag']);
  if (rest.length !== 1 || !opts.identity || !opts['passphrase-file'] || !opts.out) usage();
  if (opts['sm2-passphrase-file'] && !opts['sm2-identity']) usage();
  const home = amurHome(ctx.env);
  const identity = loadIdentity(opts.identity, readPassphraseFile(opts['passphrase-file']), home);
  const sm2Identity = opts['sm2-identity']
    ? loadIdentity(opts['sm2-identity'], readPassphraseFile(opts['sm2-passphrase-file'] ?? opts['passphrase-file']), home)
    : undefined;
  const read = readDraft(rest[0]!);
  const { template } = read;
  const signer = observerFromCertificate(identity.certificate);
  ctx.stdout.write(`${t('reports.cli.signingAs', { name: signer.displayName || '-', organization: signer.organization || '-', subject: signer.subject }, ctx.lang)}\n`);
  let draft = read.draft;
  if (flags.has('retag')) {
    const r = retagLanguages(draft, template);
    draft = r.draft;
    for (const x of r.retagged) {
      const section = template.sections.find((s) => s.id === x.section)?.title[ctx.lang] ?? x.section;
      const name = (l: string) => t(`reports.language.${l}`, {}, ctx.lang);
      ctx.stderr.write(`${t('reports.cli.retagged', { section, from: name(x.from), to: name(x.to) }, ctx.lang)}\n`);
    }
  }
  try {
    // Before anything is written or audited: every reason at once, and the draft file untouched.
    assertSignable(draft, template, signer, rest[0]!);
  } catch (e) {
    if (e instanceof ReportNotSignable && e.problems.some((p) => p.code === 'reports.problem.languageMismatch')) {
      ctx.stderr.write(`amur report: ${errorMessage(e, ctx.lang)}\n${t('reports.cli.retagHint', {}, ctx.lang)}\n`);
      return 1;
    }
    throw e;
  }
  const store = openStore(ctx, home);
  try {
    // A partner's study: only under its agreement, by a reader it names; then into the outbox.
    const c = assertMaySign(store, home, draft.study.StudyInstanceUID, identity.certificate);
    // Trusted time: --tsa, else the TSA the study's agreement names.
    const tsaUrl = opts.tsa ?? (c ? getAgreement(home, c.agreementId).tsaUrl : undefined);
    const signed = await signDraftInto(draft, template, identity, opts.out, { sm2Identity, path: rest[0]!, ...(tsaUrl ? { tsaUrl } : {}) });
    if (signed.timestampError) {
      ctx.stderr.write(`${t('reports.cli.timestampLater', { reason: errorMessage(signed.timestampError, ctx.lang) }, ctx.lang)}\n`);
    }
    auditSignature(store, draft.study.StudyInstanceUID, signed, identity.certificate, Boolean(draft.predecessor));
    recordSigned(store, draft.study.StudyInstanceUID, signed.sr.SOPInstanceUID, draft.draftId);
    if (c) {
      const item = queueSignedReport(store, c, signed);
      ctx.stderr.write(`${t('outbox.cli.queued', { item: item.id }, ctx.lang)}\n`);
    }
    return printSigned(signed, ctx);
  } finally {
    store.close();
  }
}

function printSigned(signed: Awaited<ReturnType<typeof signDraftInto>>, ctx: CliContext): number {
  ctx.stdout.write(`${t('reports.cli.signed', { dir: signed.dir }, ctx.lang)}\n`);
  for (const f of signed.files) ctx.stdout.write(`  ${f}\n`);
  return 0;
}

export const reportCommand: Command = {
  name: 'report',
  summaryKey: 'reports.cli.summary',
  usage: 'report draft|sign …',
  vault: 'required',
  ownsPassphraseFile: true,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === 'draft') return draft(rest, ctx);
    if (sub === 'sign') return sign(rest, ctx);
    usage();
  },
};
