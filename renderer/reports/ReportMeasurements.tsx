// The measurements a report can carry, for the report editor: the open study's measurement groups
// as core/measurements/report-groups.ts maps them (lengths, areas and region statistics), each with
// the checkbox that puts it in the report or leaves it out (the same choice as the viewer's list),
// written by the one rounding rule; angles, probes and arrows stay in the Measurement Report SR.
import { useTranslation } from 'react-i18next';
import { formatMeasuredNumber } from '../../core/measurements/format';
import { toDraftMeasurements } from '../../core/measurements/report-groups';
import { setInReport, unitText, useMeasurements } from '../viewer/measure';

export function ReportMeasurements({ StudyInstanceUID }: { StudyInstanceUID: string }) {
  const { t, i18n } = useTranslation();
  const list = useMeasurements(StudyInstanceUID);
  const groups = list ? toDraftMeasurements(list.measurements) : [];
  const chosen = new Set(list?.measurements.filter((m) => m.inReport !== false).map((m) => m.trackingUID));
  return (
    <fieldset className="report-measurements" data-testid="report-measurements" data-count={groups.filter((g) => chosen.has(g.trackingUID)).length}>
      <legend>{t('ui.report.measurements')}</legend>
      {groups.length === 0 && <p className="muted">{t('ui.report.noMeasurements')}</p>}
      <ul>
        {groups.map((m) => (
          <li key={m.trackingUID} data-testid="report-measurement" data-tracking-uid={m.trackingUID} data-in-report={chosen.has(m.trackingUID)}>
            <label>
              <input
                type="checkbox"
                data-testid="report-measurement-in-report"
                checked={chosen.has(m.trackingUID)}
                onChange={(e) => void setInReport(m.trackingUID, e.target.checked)}
              />{' '}
              <strong>{m.label}</strong>{' '}
              {m.values.map((v) => `${t(`ui.measure.quantity.${v.kind}`)} ${formatMeasuredNumber(v.value, v.unit, i18n.language)} ${unitText(v.unit, t)}`.trim()).join('; ')}
            </label>
          </li>
        ))}
      </ul>
      <p className="muted small">{t('ui.report.measurementsNote')}</p>
    </fieldset>
  );
}
