// `amur models list [--json]`: the installed triage models (bundled in models/ and added under
// AMUR_HOME/models) and whether each model file's SHA-256 matches its manifest. A model that does
// not match is never loaded.
import { errorMessage, t } from '../../core/i18n/index.js';
import { listInstalledModels } from '../../core/triage/models.js';
import { listModelSummaries } from '../../core/triage/service.js';
import type { Command } from '../command.js';
import { renderTable } from '../table.js';

export const modelsCommand: Command = {
  name: 'models',
  summaryKey: 'triage.models.summary',
  usage: 'models list [--json]',
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub !== 'list' || rest.some((a) => a !== '--json')) {
      ctx.stderr.write(`amur ${this.usage}\n`);
      return 2;
    }
    const models = listModelSummaries(ctx.env);
    const { broken } = listInstalledModels(ctx.env);
    if (rest.includes('--json')) {
      ctx.stdout.write(`${JSON.stringify({ models, broken: broken.map((b) => ({ path: b.dir, reason: errorMessage(b.error, ctx.lang) })) }, null, 2)}\n`);
      return 0;
    }
    const col = (k: string) => t(`triage.models.columns.${k}`, {}, ctx.lang);
    ctx.stdout.write(renderTable(
      [col('id'), col('version'), col('origin'), col('hash'), col('auroc'), col('sha256')],
      models.map((m) => [
        m.id,
        m.version,
        t(`triage.models.origin.${m.origin}`, {}, ctx.lang),
        t(`triage.models.hash.${m.hashStatus}`, {}, ctx.lang),
        m.metrics.auroc === null ? '' : `${m.metrics.auroc.toFixed(3)} [${m.metrics.auroc_ci95.map((v) => v?.toFixed(3)).join(', ')}] n=${m.metrics.n}`,
        m.sha256,
      ]),
    ));
    for (const b of broken) ctx.stdout.write(`${errorMessage(b.error, ctx.lang)}\n`);
    return 0;
  },
};
