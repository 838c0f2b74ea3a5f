// Placeholder of the study viewer, owned by the viewer work (renderer/viewer/): the app renders
// <Viewer StudyInstanceUID=... /> on its viewer route. Replace freely; keep the export's name and props.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { services } from '../shell';
import type { SeriesSummary } from '../../core/contract/studies';

export interface ViewerProps {
  StudyInstanceUID: string;
}

export function Viewer({ StudyInstanceUID }: ViewerProps) {
  const { t } = useTranslation();
  const [series, setSeries] = useState<SeriesSummary[] | undefined>();
  useEffect(() => {
    let live = true;
    void services.studies.listSeries(StudyInstanceUID).then((s) => live && setSeries(s));
    return () => { live = false; };
  }, [StudyInstanceUID]);
  return (
    <section data-testid="viewer" data-study-uid={StudyInstanceUID} data-state={series ? 'ready' : 'loading'}>
      <ul>
        {series?.map((s) => (
          <li key={s.SeriesInstanceUID}>
            {s.Modality} {s.SeriesDescription} ({t('ui.worklist.images', { count: s.NumberOfSeriesRelatedInstances })})
          </li>
        ))}
      </ul>
    </section>
  );
}
