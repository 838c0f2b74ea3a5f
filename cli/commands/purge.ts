// `amur purge [--dry-run] [--json]`: removes the partners' studies whose retention has ended (the
// agreement's retentionDays after the last delivery of their reports); core/cases/retention.ts
// says what goes and in which order. The app does the same on its own (cli/host/services.ts).
import { purge } from '../../core/cases/retention.js';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
import { parseArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { renderTable } from '../table.js';
import { openStore } from '../vault.js';

const usage = (): never => {
  throw new AmurError('purge.cli.usage');
};

export const purgeCommand: Command = {
  name: 'purge',
  summaryKey: 'purge.cli.summary',
  usage: 'purge [--dry-run] [--json]',
  vault: 'required',
  async run(args: string[], ctx: CliContext) {
    const { flags, rest } = parseArgs(args, { flags: ['dry-run', 'json'] }, usage);
    if (rest.length) usage();
    const home = amurHome(ctx.env);
    const store = openStore(ctx, home);
    try {
      const r = purge(store, home, { dryRun: flags.has('dry-run') });
      if (flags.has('json')) {
        ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      ctx.stdout.write(`${t(r.dryRun ? 'purge.cli.wouldPurge' : 'purge.cli.purged', { count: r.purged.length }, ctx.lang)}\n`);
      if (r.purged.length) {
        const col = (k: string) => t(`purge.cli.columns.${k}`, {}, ctx.lang);
        ctx.stdout.write(renderTable(
          [col('study'), col('agreement'), col('deliveredAt'), col('retentionDays'), col('instances'), col('reports')],
          r.purged.map((p) => [p.StudyInstanceUID, p.agreementId, p.deliveredAt, String(p.retentionDays), String(p.instances), String(p.reports)]),
        ));
      }
      return 0;
    } finally {
      store.close();
    }
  },
};
