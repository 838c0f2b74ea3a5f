// `amur outbox list [--json]`: the signed reports waiting for delivery, and what became of each;
// `amur deliver [--json]` (cli/commands/deliver.ts) sends them.
import { AmurError } from '../../core/common/errors.js';
import { t } from '../../core/i18n/index.js';
import { listOutbox } from '../../core/outbox/outbox.js';
import { parseArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { renderTable } from '../table.js';
import { openStore } from '../vault.js';

const usage = (): never => {
  throw new AmurError('outbox.cli.usage');
};

export const outboxCommand: Command = {
  name: 'outbox',
  summaryKey: 'outbox.cli.summary',
  usage: 'outbox list [--json]',
  vault: 'required',
  async run(args: string[], ctx: CliContext) {
    const { flags, rest } = parseArgs(args, { flags: ['json'] }, usage);
    if (rest.length !== 1 || rest[0] !== 'list') usage();
    const store = openStore(ctx);
    try {
      const items = listOutbox(store).map((i) => ({
        ...i,
        ...(i.error ? { reason: t(`errors.${i.error.code}`, i.error.params, ctx.lang) } : {}),
      }));
      if (flags.has('json')) {
        ctx.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
        return 0;
      }
      if (!items.length) {
        ctx.stdout.write(`${t('outbox.cli.empty', {}, ctx.lang)}\n`);
        return 0;
      }
      const col = (k: string) => t(`outbox.cli.columns.${k}`, {}, ctx.lang);
      ctx.stdout.write(renderTable(
        [col('item'), col('study'), col('agreement'), col('status'), col('attempts'), col('reason')],
        items.map((i) => [i.id.slice(0, 8), i.StudyInstanceUID, i.agreementId, t(`outbox.status.${i.status}`, {}, ctx.lang),
          String(i.attempts), i.reason ?? '']),
      ));
      return 0;
    } finally {
      store.close();
    }
  },
};
