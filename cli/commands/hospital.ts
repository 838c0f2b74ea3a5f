// `amur hospital send|receive|original`: the hospital side, run inside the hospital by its IT (by
// hand or from a scheduler). The re-identification map, the hospital's state and the reports it
// received stay under AMUR_HOME/hospital/, encrypted under the home's vault (AMUR_PASSPHRASE_FILE:
// --passphrase-file is the signing identity's), and never leave it.
//
//   amur hospital send --agreement ID --pacs URL [--pacs-credentials CRED.json] --study UID
//     --request-id TEXT --consent TEXT [--priority routine|urgent] [--json] [--progress]
//   amur hospital receive --agreement ID --pacs URL [--pacs-credentials CRED.json]
//     --identity HOSPITAL.p12 --passphrase-file F [--json]
//   amur hospital original --agreement ID --sop UID --out FILE
//     (the reader's original of a received report, as it arrived, e.g. to verify it)
import { audit } from '../../core/audit/index.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { activeAgreement, exchangeClient } from '../../core/cases/access.js';
import { PRIORITIES, type Priority } from '../../core/cases/cases.js';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { ReidMap } from '../../core/deid/index.js';
import type { Credentials } from '../../core/exchange/index.js';
import { readKeptReport } from '../../core/hospital/files.js';
import { openPacs } from '../../core/hospital/pacs.js';
import { receiveReports } from '../../core/hospital/receive.js';
import { sendStudy } from '../../core/hospital/send.js';
import { HospitalState } from '../../core/hospital/state.js';
import { t } from '../../core/i18n/index.js';
import { loadIdentity } from '../../core/signing/index.js';
import { parseArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { readPassphraseFile } from './identity.js';

const usage = (): never => {
  throw new AmurError('hospital.cli.usage');
};

function readCredentials(path: string | undefined): Credentials | undefined {
  if (!path) return undefined;
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as { username?: string; password?: string };
    return { username: String(c.username ?? ''), password: String(c.password ?? '') };
  } catch (e) {
    throw new AmurError('hospital.credentialsUnreadable', { path }, { cause: e });
  }
}

function openHospital(home: string): { map: ReidMap; state: HospitalState; close(): void } {
  const state = new HospitalState(home);
  let map: ReidMap;
  try {
    map = new ReidMap(home, join(state.dir, 'reid.sqlite'));
  } catch (e) {
    state.close();
    throw e;
  }
  return { map, state, close: () => { map.close(); state.close(); } };
}

async function send(args: string[], ctx: CliContext): Promise<number> {
  const { opts, flags, rest } = parseArgs(args, {
    valued: ['agreement', 'pacs', 'pacs-credentials', 'study', 'request-id', 'consent', 'priority'],
    flags: ['json', 'progress'],
  }, usage);
  const priority = (opts.priority ?? 'routine') as Priority;
  if (rest.length || !opts.agreement || !opts.pacs || !opts.study || !opts['request-id'] || !opts.consent || !PRIORITIES.includes(priority)) usage();
  const home = amurHome(ctx.env);
  const agreement = activeAgreement(home, opts.agreement!);
  const h = openHospital(home);
  try {
    const r = await sendStudy({
      agreement,
      pacs: openPacs(opts.pacs!, readCredentials(opts['pacs-credentials'])),
      exchange: exchangeClient(home, agreement),
      map: h.map,
      state: h.state,
      StudyInstanceUID: opts.study!,
      requestId: opts['request-id']!,
      consentRef: opts.consent!,
      priority,
      onProgress: flags.has('progress') ? (p) => ctx.stderr.write(`${t('hospital.cli.sendProgress', p, ctx.lang)}\n`) : undefined,
    });
    if (flags.has('json')) ctx.stdout.write(`${JSON.stringify(r)}\n`);
    else ctx.stdout.write(`${t('hospital.cli.sent', { count: r.instances, study: r.study }, ctx.lang)}\n`);
    return 0;
  } finally {
    h.close();
  }
}

async function receive(args: string[], ctx: CliContext): Promise<number> {
  const { opts, flags, rest } = parseArgs(args, {
    valued: ['agreement', 'pacs', 'pacs-credentials', 'identity', 'passphrase-file'],
    flags: ['json'],
  }, usage);
  if (rest.length || !opts.agreement || !opts.pacs || !opts.identity || !opts['passphrase-file']) usage();
  const home = amurHome(ctx.env);
  const agreement = activeAgreement(home, opts.agreement!);
  const identity = loadIdentity(opts.identity!, readPassphraseFile(opts['passphrase-file']!), home);
  const h = openHospital(home);
  try {
    const r = await receiveReports({
      agreement,
      exchange: exchangeClient(home, agreement),
      pacs: openPacs(opts.pacs!, readCredentials(opts['pacs-credentials'])),
      map: h.map,
      state: h.state,
      identity,
    });
    const rejected = r.rejected.map((x) => ({ sopInstanceUID: x.sopInstanceUID, code: x.code, reason: t(`errors.${x.code}`, x.params, ctx.lang) }));
    if (flags.has('json')) ctx.stdout.write(`${JSON.stringify({ filed: r.filed, rejected }, null, 2)}\n`);
    else {
      ctx.stdout.write(`${t('hospital.cli.filed', { count: r.filed }, ctx.lang)}\n`);
      for (const x of rejected) ctx.stdout.write(`  ${x.sopInstanceUID}: ${x.reason}\n`);
    }
    return 0;
  } finally {
    h.close();
  }
}

/** Writes the reader's original of a received report, as it arrived, to a file of the user's (audited as an export). */
function original(args: string[], ctx: CliContext): number {
  const { opts, rest } = parseArgs(args, { valued: ['agreement', 'sop', 'out'] }, usage);
  if (rest.length || !opts.agreement || !opts.sop || !opts.out) usage();
  const home = amurHome(ctx.env);
  const state = new HospitalState(home);
  try {
    const kept = state.keptReport(opts.agreement!, opts.sop!);
    if (!kept) throw new AmurError('hospital.keptMissing', { sop: opts.sop!, agreement: opts.agreement! });
    const bytes = readKeptReport(home, kept.path, opts.agreement!, opts.sop!);
    try {
      writeFileSync(opts.out!, bytes, { mode: 0o600 });
    } catch (e) {
      throw new AmurError('hospital.outUnwritable', { path: opts.out!, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { cause: e });
    }
    audit(home, { action: 'study.export', outcome: 'success', role: 'hospital', agreement: opts.agreement!, studies: [kept.deidStudyUID],
      detail: { object: 'reader original', sop: opts.sop!, status: kept.status } });
    ctx.stdout.write(`${t('hospital.cli.originalWritten', { sop: opts.sop!, path: opts.out! }, ctx.lang)}\n`);
    return 0;
  } finally {
    state.close();
  }
}

export const hospitalCommand: Command = {
  name: 'hospital',
  summaryKey: 'hospital.cli.summary',
  usage: 'hospital send|receive|original --agreement ID …',
  vault: 'required',
  ownsPassphraseFile: true,
  async run(args: string[], ctx: CliContext) {
    const [sub, ...rest] = args;
    if (sub === 'send') return send(rest, ctx);
    if (sub === 'receive') return receive(rest, ctx);
    if (sub === 'original') return original(rest, ctx);
    return usage();
  },
};
