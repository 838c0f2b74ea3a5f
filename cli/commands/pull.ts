// `amur pull [--agreement ID] [--json] [--progress]`: the new studies of the reader's active
// agreements, from their exchanges into the local store (core/cases/pull.ts).
import { pullSources } from '../../core/cases/access.js';
import { pull } from '../../core/cases/pull.js';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
import { StudyStore } from '../../core/store/store.js';
import { parseArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';

const usage = (): never => {
  throw new AmurError('cases.cli.pullUsage');
};

export const pullCommand: Command = {
  name: 'pull',
  summaryKey: 'cases.cli.pullSummary',
  usage: 'pull [--agreement ID] [--json] [--progress]',
  async run(args: string[], ctx: CliContext) {
    const { opts, flags, rest } = parseArgs(args, { valued: ['agreement'], flags: ['json', 'progress'] }, usage);
    if (rest.length) usage();
    const home = amurHome(ctx.env);
    const sources = pullSources(home, opts.agreement);
    const store = StudyStore.open(home);
    try {
      const r = await pull(store, sources, {
        lang: ctx.lang,
        onProgress: flags.has('progress') ? (p) => ctx.stderr.write(`${t('cases.cli.progress', { ...p }, ctx.lang)}\n`) : undefined,
      });
      const refused = r.refused.map((x) => ({ study: x.study, code: x.code, reason: t(`errors.${x.code}`, x.params, ctx.lang) }));
      if (flags.has('json')) ctx.stdout.write(`${JSON.stringify({ pulled: r.pulled, refused }, null, 2)}\n`);
      else {
        ctx.stdout.write(`${t('cases.cli.pulled', { count: r.pulled.length }, ctx.lang)}\n`);
        for (const x of refused) ctx.stdout.write(`  ${x.study}: ${x.reason}\n`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};
