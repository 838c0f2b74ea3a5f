// `amur deliver [--json]`: sends every signed report in the outbox that has not reached its
// exchange yet, now (a person asking does not wait for the backoff). Exits non-zero if any failed.
import { exchangeClient, activeAgreement } from '../../core/cases/access.js';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
import { deliver } from '../../core/outbox/outbox.js';
import { exchangeTarget } from '../../core/outbox/target.js';
import { parseArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { openStore } from '../vault.js';

const usage = (): never => {
  throw new AmurError('outbox.cli.deliverUsage');
};

export const deliverCommand: Command = {
  name: 'deliver',
  summaryKey: 'outbox.cli.deliverSummary',
  usage: 'deliver [--json]',
  vault: 'required',
  async run(args: string[], ctx: CliContext) {
    const { flags, rest } = parseArgs(args, { flags: ['json'] }, usage);
    if (rest.length) usage();
    const home = amurHome(ctx.env);
    const store = openStore(ctx, home);
    try {
      const r = await deliver(store, (id) => exchangeTarget(exchangeClient(home, activeAgreement(home, id))), {
        ignoreBackoff: true,
        tsaFor: (id) => activeAgreement(home, id).tsaUrl,
      });
      const failed = r.failed.map((f) => ({ item: f.item, code: f.code, reason: t(`errors.${f.code}`, f.params, ctx.lang) }));
      if (flags.has('json')) ctx.stdout.write(`${JSON.stringify({ delivered: r.delivered.length, failed }, null, 2)}\n`);
      else {
        ctx.stdout.write(`${t('outbox.cli.delivered', { count: r.delivered.length }, ctx.lang)}\n`);
        for (const f of failed) ctx.stdout.write(`  ${f.item}: ${f.reason}\n`);
      }
      return failed.length ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
