// A viewport's place taken by a document series: a Structured Report rendered as a document (its
// content tree: headings, texts, codes, numbers with units), an Encapsulated PDF drawn inline by
// pdf.js (its bytes from the host; no frame, no browser plugin, the same in both shells) with a
// link to open it, or a segmentation listed by its segments (never drawn as a grey image).
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DocumentContent, SRContentItem } from '../../core/contract/imaging';
import { errorText } from '../app/i18n';
import { PdfPages } from '../pdf/PdfPages';
import { services } from '../shell';
import { formatStudyDate } from '../worklist/format';
import { useSeriesDrop } from './series-drop';
import type { Stack } from './stack';

interface Props {
  stack: Stack;
  active: boolean;
  position: number;
  onActivate(): void;
  /** A series thumbnail was dropped here: show that series in this viewport instead. */
  onDropSeries?(SeriesInstanceUID: string): void;
}

function SRItem({ item }: { item: SRContentItem }) {
  const container = item.ValueType === 'CONTAINER';
  return (
    <li data-value-type={item.ValueType}>
      {container ? (
        <div className="sr-heading">{item.concept}</div>
      ) : (
        <div>
          {item.concept && <span className="sr-concept">{item.concept}: </span>}
          <span className="sr-value">{item.value}</span>
          {item.unit && <span className="sr-unit">{item.unit.value === '1' || !item.unit.value ? item.unit.meaning : item.unit.value}</span>}
        </div>
      )}
      {item.children.length > 0 && (
        <ul className="sr-tree">
          {item.children.map((c, i) => (
            <SRItem key={i} item={c} />
          ))}
        </ul>
      )}
    </li>
  );
}

function PdfDocument({ doc }: { doc: Extract<DocumentContent, { kind: 'pdf' }> }) {
  const { t } = useTranslation();
  const url = useMemo(() => URL.createObjectURL(new Blob([doc.bytes as BlobPart], { type: 'application/pdf' })), [doc]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <>
      <div className="document-meta">
        <span data-testid="pdf-page-count">{t('ui.viewer.document.pages', { count: doc.pages })}</span>
        <a href={url} target="_blank" rel="noopener noreferrer" data-testid="pdf-open">
          {t('ui.viewer.document.openPdf')}
        </a>
      </div>
      <PdfPages bytes={doc.bytes} label={doc.title || t('ui.viewer.document.kind.pdf')} />
    </>
  );
}

export function DocumentView({ stack, active, position, onActivate, onDropSeries }: Props) {
  const { t, i18n } = useTranslation();
  const { dropping, handlers: dropHandlers } = useSeriesDrop(onDropSeries, onActivate);
  const [doc, setDoc] = useState<DocumentContent | undefined>();
  const [error, setError] = useState<string | undefined>();
  const first = stack.documents?.[0];
  useEffect(() => {
    let live = true;
    setDoc(undefined);
    setError(undefined);
    if (!first) return;
    services.imaging.getDocument(first.SOPInstanceUID).then(
      (d) => live && setDoc(d),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [first]);

  const kind = doc?.kind;
  return (
    <div
      className={`viewport-frame${active ? ' active' : ''}${dropping ? ' drop-target' : ''}`}
      data-position={position}
      onMouseDown={onActivate}
      onMouseEnter={onActivate}
      {...dropHandlers}
    >
      <div
        className="document-view"
        data-testid={active ? 'document-view' : 'document-view-inactive'}
        data-series-uid={stack.series.SeriesInstanceUID}
        data-sop-instance-uid={first?.SOPInstanceUID}
        data-kind={kind}
        data-state={error ? 'failed' : doc ? 'ready' : 'loading'}
        {...(doc?.kind === 'pdf' ? { 'data-pdf-pages': doc.pages, 'data-pdf-bytes': doc.bytes.length } : {})}
        {...(doc?.kind === 'seg' ? { 'data-segments': doc.segments.length } : {})}
      >
        {!doc && !error && <p>{t('ui.viewer.document.loading')}</p>}
        {error && <p role="alert">{t('ui.viewer.document.failed', { reason: error })}</p>}
        {doc && (
          <h2>
            {t(`ui.viewer.document.kind.${doc.kind}`)}
            {doc.kind !== 'seg' && `: ${doc.title || t('ui.viewer.document.untitled')}`}
          </h2>
        )}
        {doc?.kind === 'sr' && (
          <>
            <div className="document-meta">
              {doc.completionFlag && <span data-testid="sr-completion">{t(`ui.viewer.document.completion.${doc.completionFlag}`, { defaultValue: doc.completionFlag })}</span>}
              {doc.verificationFlag && <span>{t(`ui.viewer.document.verification.${doc.verificationFlag}`, { defaultValue: doc.verificationFlag })}</span>}
              {doc.ContentDate && <span>{t('ui.viewer.document.contentDate', { date: formatStudyDate(doc.ContentDate, doc.ContentTime ?? '', i18n.language) })}</span>}
            </div>
            <ul className="sr-tree" data-testid="sr-tree">
              {doc.root.children.map((c, i) => (
                <SRItem key={i} item={c} />
              ))}
            </ul>
          </>
        )}
        {doc?.kind === 'pdf' && <PdfDocument doc={doc} />}
        {doc?.kind === 'seg' && (
          <>
            <p data-testid="segmentation-summary">{t('ui.viewer.document.segments', { count: doc.segments.length })}</p>
            <p className="document-meta">{t('ui.viewer.document.segmentNote')}</p>
            <table className="segments">
              <tbody>
                {doc.segments.map((s) => (
                  <tr key={s.SegmentNumber} data-testid="segment">
                    <td>{t('ui.viewer.document.segmentNumber', { number: s.SegmentNumber })}</td>
                    <td>{s.SegmentLabel}</td>
                    <td>{[s.category, s.type].filter(Boolean).join(' · ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
    </div>
  );
}
