// `amur studies [--json]`: the studies in the store under AMUR_HOME. --json prints an array of
// objects keyed by DICOM keywords (the contract automated checks rely on), each with its reading
// `status` (new, in-progress, overdue, reported, delivered: core/studies/status.ts); otherwise a table.
import type { StudySummary } from '../../core/contract/studies.js';
import { t, type Language } from '../../core/i18n/index.js';
import { formatStudyAge, studyAge } from '../../core/studies/age.js';
import { DEFAULT_MEDIA_SOURCE } from '../../core/store/store.js';
import type { Command } from '../command.js';
import { renderTable } from '../table.js';
import { openStore } from '../vault.js';

export const studiesCommand: Command = {
  name: 'studies',
  summaryKey: 'studies.cli.summary',
  usage: 'studies [--json]',
  vault: 'required',
  async run(args, ctx) {
    const json = args.includes('--json');
    const store = openStore(ctx);
    try {
      const studies = store.listStudies();
      if (json) {
        ctx.stdout.write(`${JSON.stringify(studies, null, 2)}\n`);
        return 0;
      }
      if (studies.length === 0) {
        ctx.stdout.write(`${t('studies.cli.empty', {}, ctx.lang)}\n`);
        return 0;
      }
      ctx.stdout.write(renderStudies(studies, ctx.lang));
      return 0;
    } finally {
      store.close();
    }
  },
};

/** The studies as a table in the reader's language (also printed by `amur import`). */
export function renderStudies(studies: StudySummary[], lang: Language): string {
  const col = (k: string) => t(`studies.cli.columns.${k}`, {}, lang);
  const sex = (v: string) => (['M', 'F', 'O'].includes(v) ? t(`studies.sex.${v}`, {}, lang) : v);
  return renderTable(
    [col('status'), col('PatientName'), col('PatientID'), col('age'), col('sex'), col('StudyDate'), col('ModalitiesInStudy'),
      col('BodyPartExamined'), col('AccessionNumber'), col('series'), col('instances'), col('StudyDescription'), col('source'),
      col('StudyInstanceUID')],
    studies.map((s) => [
      t(`ui.worklist.status.${s.status}`, {}, lang), s.PatientName, s.PatientID,
      formatStudyAge(studyAge(s), (k, p) => t(k, p, lang)), sex(s.PatientSex), formatDate(s.StudyDate), s.ModalitiesInStudy,
      s.BodyPartExamined, s.AccessionNumber, String(s.NumberOfStudyRelatedSeries), String(s.NumberOfStudyRelatedInstances),
      s.StudyDescription,
      s.source.kind === 'media' && s.source.name === DEFAULT_MEDIA_SOURCE ? t('studies.localMedia', {}, lang) : s.source.name,
      s.StudyInstanceUID,
    ]),
  );
}

/** DICOM DA (YYYYMMDD) as ISO 8601, which every reader of the three languages reads the same way. */
function formatDate(da: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : da;
}
