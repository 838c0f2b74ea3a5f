// The open study's measurements with their values (computed by the host from the pixels), in the
// order they were drawn. A row can be removed; undo brings it back.
import { useTranslation } from 'react-i18next';
import { formatValue } from './format';
import { useMeasurements } from './state';
import { remove } from './sync';

export function MeasurementList({ StudyInstanceUID }: { StudyInstanceUID: string }) {
  const { t, i18n } = useTranslation();
  const list = useMeasurements(StudyInstanceUID);
  if (!list) return <p className="muted" data-testid="measurement-list" data-state="loading">{t('ui.measure.loading')}</p>;
  return (
    <div data-testid="measurement-list" data-state="ready" data-count={list.measurements.length} data-revision={list.revision}>
      {list.measurements.length === 0 && <p className="muted">{t('ui.measure.none')}</p>}
      <ul className="measurement-list">
        {list.measurements.map((m) => (
          <li key={m.trackingUID} data-testid="measurement" data-tool={m.toolType} data-tracking-uid={m.trackingUID}>
            <span className="measurement-label">{m.label}</span>{' '}
            <span className="measurement-tool">{t(`ui.measure.tool.${m.toolType}`)}</span>
            {m.text && <span className="measurement-text"> «{m.text}»</span>}
            <span className="measurement-values" data-testid="measurement-values">
              {m.values.map((v) => formatValue(v, t, i18n.language)).join('; ')}
            </span>
            <button type="button" className="link" data-testid="measurement-remove" onClick={() => void remove(m.trackingUID)} aria-label={t('ui.measure.remove')}>
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
