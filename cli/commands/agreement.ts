// `amur agreement new …` (the hospital makes and signs an agreement), `amur agreement import
// AGREEMENT.json --trust HOSPITAL_CERT.pem [--credentials CRED.json] [--json]` (verified, then kept
// under AMUR_HOME/agreements) and `amur agreement list [--json]` (each re-verified). Refusals are
// translated errors with a non-zero exit (core/agreements/README.md has the rules).
//
// Only `import` opens the home's vault: it seals the credentials (and an earlier version's clear
// ones) under the home's key, so it is unlocked first, from AMUR_PASSPHRASE_FILE or the import's
// own --passphrase-file, and refused without one. `new` touches no home (its --passphrase-file is
// the signing identity's) and `list` reads only the signed documents, so neither needs it.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  createAgreement,
  importAgreement,
  listAgreements,
  SIGNATURE_ALGORITHMS,
  subjectOf,
  type AgreementCredentials,
  type SignatureAlgorithm,
} from '../../core/agreements/index.js';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
import { loadCertificates, loadIdentity } from '../../core/signing/index.js';
import { parseArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { renderTable } from '../table.js';
import { unlockHome } from '../vault.js';
import { readPassphraseFile } from './identity.js';

const usage = (): never => {
  throw new AmurError('agreements.cli.usage');
};

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new AmurError('agreements.fileUnreadable', { path }, { cause: e });
  }
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

function badValue(option: string, value: string): never {
  throw new AmurError('agreements.badValue', { option, value });
}

function positiveInt(option: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0) badValue(option, value);
  return Number(value);
}

function parseTurnaround(value: string): { routine?: number; urgent?: number } {
  const out: { routine?: number; urgent?: number } = {};
  for (const part of list(value)) {
    const [k, v] = part.split('=');
    if ((k !== 'routine' && k !== 'urgent') || v === undefined) badValue('turnaround', value);
    out[k] = positiveInt('turnaround', v);
  }
  return out;
}

function runNew(args: string[], ctx: CliContext): number {
  const { opts, multi, flags, rest } = parseArgs(
    args,
    {
      valued: ['id', 'partner', 'partner-zh', 'provider', 'valid-from', 'valid-to', 'modalities', 'languages', 'exchange', 'identity',
        'passphrase-file', 'out', 'turnaround', 'retention-days', 'tsa', 'signature-algorithms'],
      repeated: ['reader'],
      flags: ['client-certificate-required', 'allow-burned-in'],
    },
    usage,
  );
  const required = ['id', 'partner', 'valid-from', 'valid-to', 'modalities', 'languages', 'exchange', 'identity', 'passphrase-file', 'out'];
  if (rest.length || required.some((k) => !opts[k]) || !multi.reader?.length) usage();
  const readers = multi.reader!.flatMap((p) => loadCertificates([p])).map((c) => c.toString());
  const algorithms = opts['signature-algorithms'] ? list(opts['signature-algorithms']) : undefined;
  if (algorithms?.some((a) => !(SIGNATURE_ALGORITHMS as readonly string[]).includes(a))) badValue('signature-algorithms', opts['signature-algorithms']!);
  const identity = loadIdentity(opts.identity!, readPassphraseFile(opts['passphrase-file']!));
  const doc = createAgreement(
    {
      id: opts.id!,
      partner: { nameLatin: opts.partner!, ...(opts['partner-zh'] ? { nameZh: opts['partner-zh'] } : {}) },
      ...(opts.provider ? { provider: opts.provider } : {}),
      validFrom: opts['valid-from']!,
      validTo: opts['valid-to']!,
      modalities: list(opts.modalities),
      readers,
      languages: list(opts.languages),
      ...(algorithms ? { signatureAlgorithms: algorithms as SignatureAlgorithm[] } : {}),
      ...(opts.turnaround ? { turnaroundHours: parseTurnaround(opts.turnaround) } : {}),
      ...(opts['retention-days'] ? { retentionDays: positiveInt('retention-days', opts['retention-days']) } : {}),
      exchange: { url: opts.exchange!, clientCertificateRequired: flags.has('client-certificate-required') },
      deidentification: { allowBurnedInAnnotation: flags.has('allow-burned-in') },
      ...(opts.tsa ? { tsaUrl: opts.tsa } : {}),
    },
    identity,
  );
  writeFileSync(opts.out!, `${JSON.stringify(doc, null, 2)}\n`);
  ctx.stdout.write(`${t('agreements.cli.written', { id: doc.agreement.id, subject: subjectOf(doc.agreement.hospitalCertificate), path: opts.out }, ctx.lang)}\n`);
  return 0;
}

/** A credentials value: PEM as it is, otherwise a file path (relative to the credentials file). */
function pemOrFile(value: unknown, base: string, path: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new AmurError('agreements.credentialsUnreadable', { path });
  if (value.includes('-----BEGIN ')) return value;
  try {
    return readFileSync(resolve(base, value), 'utf8');
  } catch (e) {
    throw new AmurError('agreements.credentialsUnreadable', { path }, { cause: e });
  }
}

export function readCredentials(path: string): AgreementCredentials {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new AmurError('agreements.credentialsUnreadable', { path }, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || typeof raw.username !== 'string' || typeof raw.password !== 'string') {
    throw new AmurError('agreements.credentialsUnreadable', { path });
  }
  const base = dirname(resolve(path));
  const clientCert = pemOrFile(raw.clientCertificate ?? raw.clientCert, base, path);
  const clientKey = pemOrFile(raw.clientKey, base, path);
  const ca = pemOrFile(raw.ca, base, path);
  return {
    username: raw.username,
    password: raw.password,
    ...(clientCert ? { clientCert } : {}),
    ...(clientKey ? { clientKey } : {}),
    ...(ca ? { ca } : {}),
  };
}

function runImport(args: string[], ctx: CliContext): number {
  const { opts, multi, flags, rest } = parseArgs(args, { valued: ['credentials'], repeated: ['trust'], flags: ['json'] }, usage);
  if (rest.length !== 1) usage();
  if (!multi.trust?.length) throw new AmurError('agreements.noTrust');
  const trust = loadCertificates(multi.trust);
  const text = readText(rest[0]!);
  const credentials = opts.credentials ? readCredentials(opts.credentials) : undefined;
  const a = importAgreement(amurHome(ctx.env), text, trust, credentials);
  if (flags.has('json')) ctx.stdout.write(`${JSON.stringify({ imported: a.id, validFrom: a.validFrom, validTo: a.validTo }, null, 2)}\n`);
  else ctx.stdout.write(`${t('agreements.cli.imported', { id: a.id }, ctx.lang)}\n`);
  return 0;
}

function runList(args: string[], ctx: CliContext): number {
  const { flags, rest } = parseArgs(args, { flags: ['json'] }, usage);
  if (rest.length) usage();
  const items = listAgreements(amurHome(ctx.env));
  if (flags.has('json')) {
    ctx.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
    return 0;
  }
  if (!items.length) {
    ctx.stdout.write(`${t('agreements.cli.none', {}, ctx.lang)}\n`);
    return 0;
  }
  const col = (k: string) => t(`agreements.cli.columns.${k}`, {}, ctx.lang);
  ctx.stdout.write(renderTable(
    [col('id'), col('partner'), col('valid'), col('modalities'), col('status'), col('readers'), col('exchange')],
    items.map((a) => [
      a.id,
      a.partner.nameZh ? `${a.partner.nameZh} / ${a.partner.nameLatin}` : a.partner.nameLatin,
      `${a.validFrom} – ${a.validTo}`,
      a.modalities.join(','),
      t(a.active ? 'agreements.cli.active' : 'agreements.cli.inactive', {}, ctx.lang),
      a.readers.join('; '),
      a.exchange,
    ]),
  ));
  return 0;
}

export const agreementCommand: Command = {
  name: 'agreement',
  summaryKey: 'agreements.cli.summary',
  usage: 'agreement new|import|list …',
  async run(args: string[], ctx: CliContext) {
    const [sub, ...rest] = args;
    if (sub === 'new') return runNew(rest, ctx);
    if (sub === 'import') return runImport(await unlockHome({ vault: 'required' }, rest, ctx), ctx);
    if (sub === 'list') return runList(rest, ctx);
    return usage();
  },
};
