// `amur audit …`: the audit trail of this workstation (or hospital side), for its security officer.
//   amur audit verify [--json]                        the chain, checkpoints and head: intact or not, and where
//   amur audit list [--study UID] [--since ISO] [--json]
//   amur audit export [--since ISO] --out FILE.xml    DICOM audit messages (PS3.15 A.5, IHE ATNA)
//   amur audit forward [--json]                       send what is pending to the hospital's audit repository
import { audit, auditTrail } from '../../core/audit/index.js';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
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
  const { flags, rest } = parseArgs(args, { flags: ['json'] }, usage);
  if (rest.length) usage();
  const home = amurHome(ctx.env);
  const r = auditTrail(home).verify();
  if (flags.has('json')) {
    ctx.stdout.write(`${JSON.stringify({ events: r.events, valid: r.valid, problems: r.problems.map((p) => ({
      event: p.event, reason: p.reason, detail: p.detail, message: t(`audit.problem.${p.reason}`, { event: p.event }, ctx.lang),
    })) }, null, 2)}\n`);
  } else if (r.valid) {
    ctx.stdout.write(`${t('audit.cli.valid', { count: r.events }, ctx.lang)}\n`);
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

const subcommands: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  verify: verifyCmd,
  list: listCmd,
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
