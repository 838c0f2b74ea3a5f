// `amur audit …`: the audit trail of this workstation (or hospital side), for its security officer.
//   amur audit verify [--json]                        the chain, checkpoints and head: intact or not, and where
//   amur audit list [--study UID] [--since ISO] [--json]
//   amur audit export [--since ISO] --out FILE.xml    DICOM audit messages (PS3.15 A.5, IHE ATNA)
//   amur audit forward [--json]                       send what is pending to the hospital's audit repository
//   amur audit timestamp [--tsa URL] [--json]         an RFC 3161 time-stamp on the newest checkpoint
import { audit, auditTrail } from '../../core/audit/index.js';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { loadCertificates } from '../../core/signing/certificates.js';
import { errorMessage, t } from '../../core/i18n/index.js';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { renderTable } from '../table.js';

const usage = (): never => {
  throw new AmurError('audit.cli.usage');
};

function sinceOption(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (Number.isNaN(Date.parse(v))) throw new AmurError('audit.badSince', { value: v });
  return v;
}

async function verifyCmd(args: string[], ctx: CliContext): Promise<number> {
  const { multi, flags, rest } = parseArgs(args, { repeated: ['tsa-trust'], flags: ['json'] }, usage);
  if (rest.length) usage();
  const home = amurHome(ctx.env);
  const tsaTrust = multi['tsa-trust'] ? loadCertificates(multi['tsa-trust']) : undefined;
  const r = auditTrail(home).verify({ tsaTrust });
  if (flags.has('json')) {
    ctx.stdout.write(`${JSON.stringify({ events: r.events, valid: r.valid, problems: r.problems.map((p) => ({
      event: p.event, reason: p.reason, detail: p.detail, message: t(`audit.problem.${p.reason}`, { event: p.event }, ctx.lang),
    })), ...(r.timestamped ? { timestamped: r.timestamped } : {}) }, null, 2)}\n`);
  } else if (r.valid) {
    ctx.stdout.write(`${t('audit.cli.valid', { count: r.events }, ctx.lang)}\n`);
    if (r.timestamped) ctx.stdout.write(`${t('audit.cli.timestamped', { event: r.timestamped.event, time: r.timestamped.genTime }, ctx.lang)}\n`);
  } else {
    ctx.stdout.write(`${t('audit.cli.invalid', { count: r.events }, ctx.lang)}\n`);
    for (const p of r.problems) ctx.stdout.write(`  #${p.event}: ${t(`audit.problem.${p.reason}`, { event: p.event }, ctx.lang)} (${p.detail})\n`);
  }
  // Reading the whole trail is itself an audited use of it, recorded after the check so it does not
  // change what was checked.
  audit(home, { action: 'audit.export', outcome: r.valid ? 'success' : 'seriousFailure', role: 'system', detail: { use: 'verify', events: r.events, problems: r.problems.length } });
  return r.valid ? 0 : 1;
}

async function listCmd(args: string[], ctx: CliContext): Promise<number> {
  const { opts, flags, rest } = parseArgs(args, { valued: ['study', 'since'], flags: ['json'] }, usage);
  if (rest.length) usage();
  const events = auditTrail(amurHome(ctx.env)).list({ study: opts.study, since: sinceOption(opts.since) });
  if (flags.has('json')) {
    ctx.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
    return 0;
  }
  const col = (k: string) => t(`audit.cli.columns.${k}`, {}, ctx.lang);
  ctx.stdout.write(renderTable(
    [col('seq'), col('time'), col('action'), col('outcome'), col('user'), col('agreement'), col('studies')],
    events.map((e) => [String(e.seq), e.time, t(`audit.action.${e.action}`, {}, ctx.lang), t(`audit.outcome.${e.outcome}`, {}, ctx.lang),
      e.user, e.agreement ?? '', e.studies.join(' ')]),
  ));
  return 0;
}

async function exportCmd(args: string[], ctx: CliContext): Promise<number> {
  const { opts, flags, rest } = parseArgs(args, { valued: ['since', 'out'], flags: ['json'] }, usage);
  if (rest.length || !opts.out) usage();
  const home = amurHome(ctx.env);
  const { auditMessagesDocument } = await import('../../core/audit/atna.js');
  const events = auditTrail(home).list({ since: sinceOption(opts.since) });
  // Written aside and renamed: an export cut off never leaves half a document under the name asked for.
  const tmp = `${opts.out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, auditMessagesDocument(events), { mode: 0o600 });
    renameSync(tmp, opts.out!);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new AmurError('audit.exportFailed', { path: opts.out!, detail: (e as Error).message }, { cause: e });
  }
  audit(home, { action: 'audit.export', outcome: 'success', role: 'system', detail: { use: 'export', events: events.length, ...(opts.since ? { since: opts.since } : {}) } });
  if (flags.has('json')) ctx.stdout.write(`${JSON.stringify({ events: events.length, out: opts.out }, null, 2)}\n`);
  else ctx.stdout.write(`${t('audit.cli.exported', { count: events.length, path: opts.out! }, ctx.lang)}\n`);
  return 0;
}

async function forwardCmd(args: string[], ctx: CliContext): Promise<number> {
  const { flags, rest } = parseArgs(args, { flags: ['json'] }, usage);
  if (rest.length) usage();
  const home = amurHome(ctx.env);
  const { AuditForwarder, loadRepositoryConfig } = await import('../../core/audit/syslog.js');
  const forwarder = new AuditForwarder(auditTrail(home), loadRepositoryConfig(home));
  const r = await forwarder.forwardOnce();
  const reason = r.error ? errorMessage(r.error, ctx.lang) : undefined;
  if (flags.has('json')) ctx.stdout.write(`${JSON.stringify({ sent: r.sent, pending: r.pending, ...(reason ? { code: r.error!.code, reason } : {}) }, null, 2)}\n`);
  else ctx.stdout.write(`${t('audit.cli.forwarded', { sent: r.sent, pending: r.pending }, ctx.lang)}\n`);
  if (reason) ctx.stderr.write(`${reason}\n`);
  return r.error ? 1 : 0;
}

async function timestampCmd(args: string[], ctx: CliContext): Promise<number> {
  const { opts, flags, rest } = parseArgs(args, { valued: ['tsa'], flags: ['json'] }, usage);
  if (rest.length) usage();
  const { timestampAuditHead } = await import('../../core/audit/timestamp.js');
  const r = await timestampAuditHead(amurHome(ctx.env), { tsaUrl: opts.tsa });
  const reason = r.failed ? t(`errors.${r.failed.code}`, r.failed.params, ctx.lang) : undefined;
  if (flags.has('json')) ctx.stdout.write(`${JSON.stringify({ ...r, ...(reason ? { reason } : {}) }, null, 2)}\n`);
  else if (r.upToDate) ctx.stdout.write(`${t('audit.cli.upToDate', {}, ctx.lang)}\n`);
  else if (r.seq !== undefined) ctx.stdout.write(`${t('audit.cli.timestamped', { event: r.seq, time: r.genTime ?? '' }, ctx.lang)}\n`);
  if (reason) ctx.stderr.write(`${reason}\n`);
  return r.failed ? 1 : 0;
}

const subcommands: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  verify: verifyCmd,
  list: listCmd,
  export: exportCmd,
  forward: forwardCmd,
  timestamp: timestampCmd,
};

export const auditCommand: Command = {
  name: 'audit',
  summaryKey: 'audit.cli.summary',
  usage: 'audit verify|list|export|forward …',
  async run(args: string[], ctx: CliContext) {
    const [sub, ...rest] = args;
    const run = sub !== undefined && Object.hasOwn(subcommands, sub) ? subcommands[sub] : undefined;
    if (!run) usage();
    return run!(rest, ctx);
  },
};
