// The column beside the viewports that lists the open study's measurements with their values.
// It folds away to a narrow strip so the images keep the width when the radiologist wants it.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Stack } from '../stack';
import { MeasurementList, type MeasurementPlace } from './MeasurementList';
import { useMeasurements } from './state';
import './measure.css';

interface Props {
  StudyInstanceUID: string;
  stacks?: readonly Stack[];
  onShow?(place: MeasurementPlace): void;
}

export function MeasurePanel({ StudyInstanceUID, stacks, onShow }: Props) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(true);
  const list = useMeasurements(StudyInstanceUID);
  return (
    <aside className={`measure-panel${open ? '' : ' folded'}`} data-testid="measure-panel" aria-label={t('ui.measure.title')}>
      <button type="button" className="measure-panel-toggle" data-testid="measure-panel-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? t('ui.measure.title') : '‹'} {list ? `(${list.measurements.length})` : ''}
      </button>
      {open && <MeasurementList StudyInstanceUID={StudyInstanceUID} stacks={stacks} onShow={onShow} />}
    </aside>
  );
}
