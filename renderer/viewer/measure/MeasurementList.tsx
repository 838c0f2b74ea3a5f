// The open study's measurements with their values (computed by the host from the pixels), in the
// order they were drawn. Each row names its series and image and takes the viewport there when
// pressed; its checkbox says whether the measurement goes into the report. A row can be removed;
// undo brings it back.
import { useTranslation } from 'react-i18next';
import type { StudyMeasurement } from '../../../core/contract/measurements';
import { toDraftMeasurements } from '../../../core/measurements/report-groups';
import { imageIdOf } from '../image-id';
import type { Stack } from '../stack';
import { formatValues } from './format';
import { useMeasurements } from './state';
import { remove, setInReport } from './sync';

/** Where a measurement is among the open series: the stack and the image's place in it. */
export interface MeasurementPlace {
  stack: number;
  image: number;
}

export function placeOf(m: StudyMeasurement, stacks: readonly Stack[] | undefined): MeasurementPlace | undefined {
  const id = imageIdOf(m.image.SOPInstanceUID, m.image.frame);
  for (let s = 0; s < (stacks?.length ?? 0); s++) {
    const image = stacks![s]!.imageIds.indexOf(id);
    if (image >= 0) return { stack: s, image };
  }
  return undefined;
}

interface Props {
  StudyInstanceUID: string;
  /** The study's series as the viewer shows them, to name a measurement's series and image. */
  stacks?: readonly Stack[];
  /** Shows that image of that series in the active viewport. */
  onShow?(place: MeasurementPlace): void;
}

export function MeasurementList({ StudyInstanceUID, stacks, onShow }: Props) {
  const { t, i18n } = useTranslation();
  const list = useMeasurements(StudyInstanceUID);
  if (!list) return <p className="muted" data-testid="measurement-list" data-state="loading">{t('ui.measure.loading')}</p>;
  return (
    <div data-testid="measurement-list" data-state="ready" data-count={list.measurements.length} data-revision={list.revision}>
      {list.measurements.length === 0 && <p className="muted">{t('ui.measure.none')}</p>}
      <ul className="measurement-list">
        {list.measurements.map((m) => {
          const place = placeOf(m, stacks);
          const stack = place && stacks![place.stack]!;
          const where = place
            ? t('ui.measure.where', { series: stack!.series.SeriesNumber ?? place.stack + 1, image: place.image + 1, count: stack!.imageIds.length })
            : t('ui.measure.whereUnknown');
          const inReport = m.inReport !== false;
          // Only what the report's measurement groups can carry has the choice (angles, probes and
          // arrows stay in the Measurement Report SR).
          const reportable = toDraftMeasurements([m]).length > 0;
          return (
            <li key={m.trackingUID} data-testid="measurement" data-tool={m.toolType} data-tracking-uid={m.trackingUID} data-in-report={reportable ? inReport : undefined}>
              {reportable && (
                <input
                  type="checkbox"
                  data-testid="measurement-in-report"
                  checked={inReport}
                  onChange={(e) => void setInReport(m.trackingUID, e.target.checked)}
                  title={t('ui.measure.inReportHint', { label: m.label })}
                  aria-label={t('ui.measure.inReportHint', { label: m.label })}
                />
              )}
              <button
                type="button"
                className="link measurement-go"
                data-testid="measurement-go"
                disabled={!place}
                onClick={() => place && onShow?.(place)}
                title={t('ui.measure.goTo', { label: m.label })}
              >
                <span className="measurement-label">{m.label}</span>{' '}
                <span className="measurement-tool">{t(`ui.measure.tool.${m.toolType}`)}</span>
                {m.text && <span className="measurement-text"> «{m.text}»</span>}
              </button>
              <span className="measurement-values" data-testid="measurement-values">
                {formatValues(m.values, t, i18n.language)}
              </span>
              <span className="measurement-where muted" data-testid="measurement-where" data-image-index={place?.image} data-series-uid={m.image.SeriesInstanceUID}>
                {where}
              </span>
              <button type="button" className="link measurement-remove" data-testid="measurement-remove" onClick={() => void remove(m.trackingUID)} aria-label={t('ui.measure.remove')}>
                ×
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
