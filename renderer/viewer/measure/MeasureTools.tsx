// The viewer's measurement toolbar: the drawing tools on the left button, undo/redo (also Ctrl+Z,
// Ctrl+Y / Ctrl+Shift+Z), export of the study's measurements as a DICOM SR (TID 1500), and the
// dialog that asks an arrow for its text. Everything drawn is saved by the host as it is drawn.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MeasurementToolType } from '../../../core/contract/measurements';
import { errorText } from '../../app/i18n';
import { download } from '../../download';
import { services } from '../../shell';
import { useMeasurements } from './state';
import { command, followStudy } from './sync';
import { activateMeasureTool, addMeasureTools, MEASURE_TOOLS } from './tools';

type Ask = { initial: string; resolve(text: string | undefined): void };
let asker: ((a: Ask) => void) | undefined;
function askText(initial?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (!asker) resolve(undefined);
    else asker({ initial: initial ?? '', resolve });
  });
}
addMeasureTools(askText);

/** The toolbar shows each drawing tool as a sign, its name in the tooltip and to screen readers, so the bar fits. */
const TOOL_ICONS: Record<MeasurementToolType, string> = {
  Length: '⟷',
  Angle: '∠',
  EllipticalRoi: '◯',
  RectangleRoi: '▭',
  ArrowAnnotate: '↗',
  Probe: '⊕',
};

export function MeasureTools({ StudyInstanceUID }: { StudyInstanceUID: string }) {
  const { t } = useTranslation();
  const list = useMeasurements(StudyInstanceUID);
  const [tool, setTool] = useState<MeasurementToolType | undefined>();
  const [ask, setAsk] = useState<Ask | undefined>();
  const [error, setError] = useState<string | undefined>();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => followStudy(StudyInstanceUID, (e) => setError(errorText(e))), [StudyInstanceUID]);
  // Each study starts with no drawing tool armed, on the toolbar and in cornerstone-tools alike (the
  // viewer puts window/level back on the left button): a click that only focuses a viewport of the
  // next study must not draw. The same when the viewer closes.
  useEffect(() => {
    setTool(undefined);
    activateMeasureTool(undefined);
    return () => activateMeasureTool(undefined);
  }, [StudyInstanceUID]);
  useEffect(() => {
    asker = setAsk;
    return () => {
      asker = undefined;
    };
  }, []);
  useEffect(() => input.current?.focus(), [ask]);

  // The viewer's own left-button tools (W, P, Z, or their buttons) take the button back.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
      // By the key's place too, as the viewer's keys: W, P, Z are ц, з, я with a Russian layout.
      const key = (/^Key[A-Z]$/.test(e.code) && !/^[\x20-\x7e]$/.test(e.key) ? e.code.slice(3) : e.key).toLowerCase();
      if ((e.ctrlKey || e.metaKey) && !e.altKey && (key === 'z' || key === 'y')) {
        e.preventDefault();
        void command(key === 'y' || e.shiftKey ? 'redo' : 'undo');
      } else if (!e.ctrlKey && !e.metaKey && !e.altKey && ['w', 'p', 'z'].includes(key)) {
        setTool(undefined);
        activateMeasureTool(undefined);
      }
    };
    const onClick = (e: MouseEvent) => {
      const id = (e.target as HTMLElement | null)?.closest?.('[data-testid^="tool-"]')?.getAttribute('data-testid');
      if (id && !id.startsWith('tool-measure-')) {
        setTool(undefined);
        activateMeasureTool(undefined);
      }
    };
    addEventListener('keydown', onKey);
    addEventListener('click', onClick, true);
    return () => {
      removeEventListener('keydown', onKey);
      removeEventListener('click', onClick, true);
    };
  }, []);

  const choose = (name: MeasurementToolType) => {
    setTool(name);
    activateMeasureTool(name);
  };
  const exportSr = async () => {
    try {
      const f = await services.measurements.exportMeasurementReport(StudyInstanceUID);
      download(f.fileName, f.mediaType, f.bytes);
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <span className="group measure-tools" aria-label={t('ui.measure.title')} data-testid="measure-tools" data-revision={list?.revision ?? -1}>
      {MEASURE_TOOLS.map((name) => (
        <button key={name} type="button" data-testid={`tool-measure-${name}`} aria-pressed={tool === name} onClick={() => choose(name)} title={t(`ui.measure.tool.${name}`)} aria-label={t(`ui.measure.tool.${name}`)}>
          {TOOL_ICONS[name]}
        </button>
      ))}
      <button type="button" data-testid="measure-undo" disabled={!list?.canUndo} onClick={() => void command('undo')} title={t('ui.measure.undoKey')} aria-label={t('ui.measure.undo')}>
        ↶
      </button>
      <button type="button" data-testid="measure-redo" disabled={!list?.canRedo} onClick={() => void command('redo')} title={t('ui.measure.redoKey')} aria-label={t('ui.measure.redo')}>
        ↷
      </button>
      <button type="button" data-testid="measure-export" disabled={!list?.measurements.length} onClick={() => void exportSr()}>
        {t('ui.measure.export')}
      </button>
      {error && <span className="measure-error" role="alert" data-testid="measure-error">{error}</span>}
      {ask && (
        <form
          className="measure-ask"
          role="dialog"
          aria-label={t('ui.measure.arrowText')}
          onSubmit={(e) => {
            e.preventDefault();
            ask.resolve(input.current?.value.trim() || undefined);
            setAsk(undefined);
          }}
        >
          <label>
            {t('ui.measure.arrowText')}
            <input ref={input} data-testid="arrow-text" defaultValue={ask.initial} maxLength={1024} />
          </label>
          <button type="submit">{t('ui.measure.ok')}</button>
          <button type="button" onClick={() => { ask.resolve(undefined); setAsk(undefined); }}>{t('ui.measure.cancel')}</button>
        </form>
      )}
    </span>
  );
}
