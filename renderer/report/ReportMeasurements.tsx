// The measurements a report will carry, for the report editor: the open study's measurement groups
// as the draft holds them (core/measurements/report-groups.ts: lengths, areas and region statistics),
// with a note that angles, probes and arrows stay in the Measurement Report SR.
import { useTranslation } from 'react-i18next';
import { toDraftMeasurements } from '../../core/measurements/report-groups';
import { useMeasurements } from '../viewer/measure';

export function ReportMeasurements({ StudyInstanceUID }: { StudyInstanceUID: string }) {
  const { t, i18n } = useTranslation();
  const list = useMeasurements(StudyInstanceUID);
  const groups = list ? toDraftMeasurements(list.measurements) : [];
  const num = (v: number) => new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 1 }).format(v);
  return (
    <fieldset className="report-measurements" data-testid="report-measurements" data-count={groups.length}>
      <legend>{t('ui.report.measurements')}</legend>
      {groups.length === 0 && <p className="muted">{t('ui.report.noMeasurements')}</p>}
      <ul>
        {groups.map((m) => (
          <li key={m.trackingUID} data-testid="report-measurement" data-tracking-uid={m.trackingUID}>
            <strong>{m.label}</strong>{' '}
            {m.values.map((v) => `${t(`ui.measure.quantity.${v.kind}`)} ${num(v.value)} ${t(`ui.measure.unit.${v.unit === '1' ? 'none' : v.unit}`)}`).join('; ')}
          </li>
        ))}
      </ul>
      <p className="muted small">{t('ui.report.measurementsNote')}</p>
    </fieldset>
  );
}
