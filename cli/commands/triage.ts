// `amur triage [--study UID | --all] [--json]`: runs the AI triage model on stored studies and
// stores the results. Without an option it triages the studies that have no result from the current
// model yet. --json prints an array with one object per study (the contract automated checks rely
// on): StudyInstanceUID, status, reason (when not done), model {id, version, sha256}, population
// (when done: the id of the model population whose operating points apply), findings [{label,
// score, positive at that population's balanced operating point}].
import type { StudyTriageResult } from '../../core/contract/triage.js';
import { t } from '../../core/i18n/index.js';
import { LocalTriageService } from '../../core/triage/service.js';
import type { Command } from '../command.js';
import { renderTable } from '../table.js';
import { openStore } from '../vault.js';

/** The CLI's JSON shape of one result, keys in the documented order and nothing else. */
export function triageJson(r: StudyTriageResult) {
  return {
    StudyInstanceUID: r.StudyInstanceUID,
    status: r.status,
    ...(r.status !== 'done' && r.reason ? { reason: r.reason } : {}),
    model: { id: r.model.id, version: r.model.version, sha256: r.model.sha256 },
    ...(r.status === 'done' && r.population ? { population: r.population } : {}),
    findings: r.findings.map((f) => ({ label: f.label, score: f.score, positive: f.positive })),
  };
}

export const triageCommand: Command = {
  name: 'triage',
  summaryKey: 'triage.cli.summary',
  usage: 'triage [--study UID | --all] [--json]',
  vault: 'required',
  async run(args, ctx) {
    let json = false;
    let all = false;
    const studies: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--json') json = true;
      else if (a === '--all') all = true;
      else if (a === '--study' && args[i + 1] && !args[i + 1].startsWith('--')) studies.push(args[++i]);
      else if (a.startsWith('--study=') && a.length > '--study='.length) studies.push(a.slice('--study='.length));
      else {
        ctx.stderr.write(`${t('triage.cli.badArgs', { arg: a }, ctx.lang)}\n  amur ${this.usage}\n`);
        return 2;
      }
    }
    if (all && studies.length) {
      ctx.stderr.write(`${t('triage.cli.studyOrAll', {}, ctx.lang)}\n  amur ${this.usage}\n`);
      return 2;
    }

    const store = openStore(ctx);
    const service = new LocalTriageService(store, { env: ctx.env, lang: ctx.lang });
    try {
      // Refuses a model whose file does not match its manifest before touching any study.
      service.model();
      const uids = studies.length ? studies : all ? store.listStudies().map((s) => s.StudyInstanceUID) : service.untriaged();
      const results = await service.triageStudies(uids);
      if (json) {
        ctx.stdout.write(`${JSON.stringify(results.map(triageJson), null, 2)}\n`);
        return 0;
      }
      if (results.length === 0) {
        ctx.stdout.write(`${t('triage.cli.nothing', {}, ctx.lang)}\n`);
        return 0;
      }
      const col = (k: string) => t(`triage.cli.columns.${k}`, {}, ctx.lang);
      const m = results[0].model;
      // Each population has its own threshold: the header names those of the populations shown.
      const thresholds = new Map<string, number>();
      for (const r of results) if (r.status === 'done' && r.population) thresholds.set(r.population, r.operatingPoints.balanced);
      const threshold = thresholds.size <= 1
        ? String(thresholds.values().next().value ?? results[0].operatingPoints.balanced)
        : [...thresholds].map(([p, v]) => `${v} (${p})`).join(', ');
      ctx.stdout.write(`${t('triage.cli.header', { id: m.id, version: m.version, threshold }, ctx.lang)}\n\n`);
      ctx.stdout.write(renderTable(
        [col('StudyInstanceUID'), col('status'), col('population'), col('finding'), col('score'), col('positive'), col('reason')],
        results.map((r) => {
          const f = r.findings[0];
          return [
            r.StudyInstanceUID,
            t(`triage.status.${r.status}`, {}, ctx.lang),
            r.status === 'done' ? (r.population ?? '') : '',
            f ? t(`triage.labels.${f.label}`, { defaultValue: f.label }, ctx.lang) : '',
            f ? f.score.toFixed(3) : '',
            f ? t(f.positive ? 'triage.cli.yes' : 'triage.cli.no', {}, ctx.lang) : '',
            r.reason ?? '',
          ];
        }),
      ));
      ctx.stdout.write(`\n${t('triage.cli.assistive', {}, ctx.lang)}\n`);
      return 0;
    } finally {
      await service.close();
      store.close();
    }
  },
};
