// `amur pull [--agreement ID] [--json] [--progress]`: the new studies of the reader's active
// agreements, from their exchanges into the local store (core/cases/pull.ts).
import { pullSources } from '../../core/cases/access.js';
import { pull } from '../../core/cases/pull.js';
import { AmurError, type ErrorParams } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
import { parseArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { openStore } from '../vault.js';

const usage = (): never => {
  throw new AmurError('cases.cli.pullUsage');
};

export const pullCommand: Command = {
  name: 'pull',
  summaryKey: 'cases.cli.pullSummary',
  usage: 'pull [--agreement ID] [--json] [--progress]',
  vault: 'required',
  async run(args: string[], ctx: CliContext) {
    const { opts, flags, rest } = parseArgs(args, { valued: ['agreement'], flags: ['json', 'progress'] }, usage);
    if (rest.length) usage();
    const home = amurHome(ctx.env);
    const sources = pullSources(home, opts.agreement);
    const store = openStore(ctx, home);
    try {
      const r = await pull(store, sources, {
        lang: ctx.lang,
        onProgress: flags.has('progress') ? (p) => ctx.stderr.write(`${t('cases.cli.progress', { ...p }, ctx.lang)}\n`) : undefined,
      });
      const reason = (x: { code: string; params: ErrorParams }) => t(`errors.${x.code}`, x.params, ctx.lang);
      const refused = r.refused.map((x) => ({ study: x.study, code: x.code, reason: reason(x) }));
      const failed = r.failed.map((x) => ({ study: x.study, exchange: x.exchange, code: x.code, reason: reason(x) }));
      if (flags.has('json')) {
        // "failed" appears only when a transfer failed, so that a clean pull keeps the documented shape.
        ctx.stdout.write(`${JSON.stringify({ pulled: r.pulled, refused, ...(failed.length ? { failed } : {}) }, null, 2)}\n`);
      } else {
        ctx.stdout.write(`${t('cases.cli.pulled', { count: r.pulled.length }, ctx.lang)}\n`);
        for (const x of refused) ctx.stdout.write(`  ${x.study}: ${x.reason}\n`);
      }
      // A failed transfer is not a result: say it on stderr too, and exit non-zero so that a script retries.
      for (const x of failed) ctx.stderr.write(`${x.reason}\n`);
      return failed.length ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
