// `amur models list [--json]`: the installed triage models (bundled in models/ and added under
// AMUR_HOME/models), whether each model file's SHA-256 matches its manifest (a model that does not
// match is never loaded), and the populations each was validated for with their own AUROC.
import type { TriageMetrics } from '../../core/contract/triage.js';
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
    const auroc = (x: TriageMetrics) =>
      x.auroc === null ? '' : `${x.auroc.toFixed(3)} [${x.auroc_ci95.map((v) => v?.toFixed(3)).join(', ')}] n=${x.n}`;
    // One line per population (the model's own columns on its first line only): each population
    // has its own figures, and none of them stands for the others.
    ctx.stdout.write(renderTable(
      [col('id'), col('version'), col('origin'), col('hash'), col('population'), col('ages'), col('views'), col('auroc'), col('sha256')],
      models.flatMap((m) => m.populations.map((p, i) => [
        i === 0 ? m.id : '',
        i === 0 ? m.version : '',
        i === 0 ? t(`triage.models.origin.${m.origin}`, {}, ctx.lang) : '',
        i === 0 ? t(`triage.models.hash.${m.hashStatus}`, {}, ctx.lang) : '',
        p.id,
        `${p.ageYears[0]}–${p.ageYears[1]}`,
        p.views.join(', '),
        auroc(p.metrics),
        i === 0 ? m.sha256 : '',
      ])),
    ));
    for (const b of broken) ctx.stdout.write(`${errorMessage(b.error, ctx.lang)}\n`);
    return 0;
  },
};
