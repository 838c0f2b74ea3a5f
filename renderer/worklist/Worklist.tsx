// The worklist: every study in the store, sortable, filterable and searchable, with import by
// button or drag and drop. A row opens its study on double click or Enter.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { StudySummary } from '../../core/contract/studies';
import type { StudyTriageResult } from '../../core/contract/triage';
import { studyAge, formatStudyAge } from '../../core/studies/age';
import { STUDY_STATUSES } from '../../core/studies/status';
import { aiPriority, compareWorklist, type WorklistEntry } from '../../core/triage/priority';
import { errorText } from '../app/i18n';
import { services, shellKind } from '../shell';
import { formatNumber, formatStudyDate } from './format';
import { ImportPanel } from './ImportPanel';
import { personNameParts, personNameSearchText } from './person-name';
import { droppedFiles, useImport } from './useImport';

type SortValue = string | number;

/** Row height in pixels (fixed in app.css), and rows drawn beyond the visible ones. */
const ROW_HEIGHT = 30;
const OVERSCAN = 12;

/**
 * A worklist column. Later work (AI priority and findings, deadline by agreement, report status)
 * adds its columns here; StudySummary grows the matching fields in core/contract/studies.ts.
 */
/** What cells may know beyond the study row: results other services keep per study. */
export interface CellContext {
  triage: ReadonlyMap<string, StudyTriageResult>;
  /** This computer's clock (ms), ticking, for the time left to a deadline. */
  now: number;
}

export interface WorklistColumn {
  id: string;
  labelKey: string;
  sortValue(s: StudySummary): SortValue;
  /** A column whose order is not one value per row (the AI ranking) compares rows itself. */
  compare?(a: StudySummary, b: StudySummary, ctx: CellContext): number;
  render(s: StudySummary, locale: string, t: (k: string, o?: Record<string, unknown>) => string, ctx: CellContext): ReactNode;
  numeric?: boolean;
  /** Share of the table's width (the table has a fixed layout so rows can be drawn by window). */
  width: string;
  /** Its share when partners' cases are on the list (more columns share the width); hidden when null. */
  caseWidth?: string | null;
  /** Shown only when at least one study on the list has a case (a partner's request). */
  caseOnly?: boolean;
}

/**
 * The triage ranking's view of a row: no clinical priority is known yet, so all are equal there;
 * read studies (reported, delivered) go below the unread ones.
 */
function rankEntry(s: StudySummary, ctx: CellContext): WorklistEntry {
  return { StudyInstanceUID: s.StudyInstanceUID, clinicalPriority: 0, importedAt: s.importedAt, triage: ctx.triage.get(s.StudyInstanceUID), status: s.status };
}

/** The reading order for cases: unread before reported, soonest deadline first (overdue ones are
 * the soonest), studies without a case after those with one, then the AI's ranking. */
function compareByDeadline(a: StudySummary, b: StudySummary, ctx: CellContext): number {
  const done = (s: StudySummary) => (s.status === 'reported' || s.status === 'delivered' ? 1 : 0);
  const da = a.case?.deadlineAt;
  const db = b.case?.deadlineAt;
  return (
    done(a) - done(b) ||
    (da && db ? Date.parse(da) - Date.parse(db) : da ? -1 : db ? 1 : 0) ||
    compareWorklist(rankEntry(a, ctx), rankEntry(b, ctx))
  );
}

export const STATUSES = STUDY_STATUSES;

/** Patient Sex (M, F, O) in the reader's language, short in the cell and whole in its tooltip. */
function SexCell({ sex, t }: { sex: string; t: (k: string, o?: Record<string, unknown>) => string }) {
  const v = sex.trim().toUpperCase();
  if (!['M', 'F', 'O'].includes(v)) return <span data-sex={v}>{v}</span>;
  return <span data-sex={v} title={t(`studies.sexName.${v}`)}>{t(`studies.sex.${v}`)}</span>;
}

/** The body parts of the study's series (DICOM defined terms), named in the reader's language when known. */
function bodyParts(s: StudySummary, t: (k: string, o?: Record<string, unknown>) => string): string {
  return s.BodyPartExamined.split('\\').filter(Boolean).map((b) => t(`ui.worklist.bodyPart.${b}`, { defaultValue: b })).join(', ');
}

export const worklistColumns: WorklistColumn[] = [
  {
    id: 'priority',
    width: '0',
    caseWidth: '8%',
    caseOnly: true,
    labelKey: 'ui.worklist.column.priority',
    sortValue: (s) => (s.case ? (s.case.priority === 'urgent' ? 0 : 1) : 2),
    render: (s, _l, t) =>
      s.case ? (
        <span className={`priority priority-${s.case.priority}`} data-priority={s.case.priority}>
          {s.case.priority === 'urgent' ? '⚑ ' : ''}
          {t(`ui.worklist.priority.${s.case.priority}`)}
        </span>
      ) : '',
  },
  {
    id: 'deadline',
    width: '0',
    caseWidth: '16%',
    caseOnly: true,
    labelKey: 'ui.worklist.column.deadline',
    sortValue: (s) => s.case?.deadlineAt ?? '',
    compare: compareByDeadline,
    render: (s, locale, t, ctx) => (s.case ? <DeadlineCell study={s} locale={locale} t={t} now={ctx.now} /> : ''),
  },
  {
    id: 'aiPriority',
    width: '8%',
    caseWidth: '5%',
    labelKey: 'ui.worklist.column.ai',
    sortValue: () => 0,
    compare: (a, b, ctx) => compareWorklist(rankEntry(a, ctx), rankEntry(b, ctx)),
    render: (s, locale, t, ctx) => <AiCell result={ctx.triage.get(s.StudyInstanceUID)} locale={locale} t={t} />,
  },
  {
    id: 'patientName',
    width: '9%',
    caseWidth: '10%',
    labelKey: 'ui.worklist.column.patientName',
    sortValue: (s) => {
      const p = personNameParts(s.PatientName);
      return (p.alphabetic || p.ideographic || p.phonetic).toLowerCase();
    },
    render: (s) => {
      const p = personNameParts(s.PatientName);
      return (
        <span className="pn">
          {p.alphabetic && <span data-testid="pn-alphabetic" className="pn-alphabetic">{p.alphabetic}</span>}
          {p.ideographic && <span data-testid="pn-ideographic" className="pn-ideographic" lang="zh">{p.ideographic}</span>}
          {p.phonetic && <span data-testid="pn-phonetic" className="pn-phonetic">{p.phonetic}</span>}
        </span>
      );
    },
  },
  { id: 'patientId', width: '6%', caseWidth: '5%', labelKey: 'ui.worklist.column.patientId', sortValue: (s) => s.PatientID, render: (s) => s.PatientID },
  {
    // PatientAge as the study states it, else counted from the birth and study dates (core/studies/age.ts).
    id: 'age',
    width: '7%',
    caseWidth: '5%',
    labelKey: 'ui.worklist.column.age',
    numeric: true,
    sortValue: (s) => studyAge(s)?.years ?? -1,
    render: (s, _l, t) => formatStudyAge(studyAge(s), t),
  },
  {
    id: 'sex',
    width: '4%',
    caseWidth: '3%',
    labelKey: 'ui.worklist.column.sex',
    sortValue: (s) => s.PatientSex,
    render: (s, _l, t) => <SexCell sex={s.PatientSex} t={t} />,
  },
  {
    id: 'studyDate',
    width: '12%',
    caseWidth: '5%',
    labelKey: 'ui.worklist.column.studyDate',
    sortValue: (s) => `${s.StudyDate}${s.StudyTime}`,
    render: (s, locale) => formatStudyDate(s.StudyDate, s.StudyTime, locale),
  },
  {
    id: 'modality',
    width: '5%',
    caseWidth: '4%',
    labelKey: 'ui.worklist.column.modality',
    sortValue: (s) => s.ModalitiesInStudy,
    render: (s) => s.ModalitiesInStudy.split('\\').filter(Boolean).join(', '),
  },
  {
    // With cases on the list (more columns share the width) the modality and description say it.
    id: 'bodyPart',
    width: '8%',
    caseWidth: null,
    labelKey: 'ui.worklist.column.bodyPart',
    sortValue: (s) => s.BodyPartExamined,
    render: (s, _l, t) => bodyParts(s, t),
  },
  { id: 'description', width: '7%', caseWidth: '5%', labelKey: 'ui.worklist.column.description', sortValue: (s) => s.StudyDescription.toLowerCase(), render: (s) => s.StudyDescription },
  // A partner's study comes de-identified, its Accession Number removed (PS3.15 Annex E): with cases
  // on the list the request takes its place.
  { id: 'accession', width: '8%', caseWidth: null, labelKey: 'ui.worklist.column.accession', sortValue: (s) => s.AccessionNumber, render: (s) => s.AccessionNumber },
  {
    id: 'images',
    width: '4%',
    caseWidth: null,
    labelKey: 'ui.worklist.column.images',
    numeric: true,
    sortValue: (s) => s.NumberOfStudyRelatedInstances,
    render: (s, locale) => formatNumber(s.NumberOfStudyRelatedInstances, locale),
  },
  {
    id: 'source',
    width: '5%',
    // With cases on the list the partner column says where a study came from.
    caseWidth: null,
    labelKey: 'ui.worklist.column.source',
    sortValue: (s) => s.source.name.toLowerCase(),
    render: (s, _l, t) => sourceLabel(s.source, t),
  },
  {
    id: 'agreement',
    width: '0',
    caseWidth: '10%',
    caseOnly: true,
    labelKey: 'ui.worklist.column.agreement',
    sortValue: (s) => s.case?.agreementId ?? '',
    render: (s) => s.case?.agreementId ?? '',
  },
  {
    id: 'partner',
    width: '0',
    caseWidth: '8%',
    caseOnly: true,
    labelKey: 'ui.worklist.column.partner',
    sortValue: (s) => (s.case?.partner ?? s.source.name).toLowerCase(),
    render: (s, _l, t) => s.case?.partner ?? sourceLabel(s.source, t),
  },
  {
    id: 'requestId',
    width: '0',
    caseWidth: '7%',
    caseOnly: true,
    labelKey: 'ui.worklist.column.requestId',
    sortValue: (s) => s.case?.requestId ?? '',
    render: (s) => s.case?.requestId ?? '',
  },
  {
    id: 'status',
    width: '8%',
    caseWidth: '9%',
    labelKey: 'ui.worklist.column.status',
    sortValue: (s) => STATUSES.indexOf(s.status),
    render: (s, _l, t) => <span className={`status status-badge status-${s.status}`} data-status={s.status}>{t(`ui.worklist.status.${s.status}`)}</span>,
  },
  {
    // When the study reached this workstation: turnaround is counted from here. With cases on the
    // list the deadline (counted from the partner's sending) takes its place.
    id: 'received',
    width: '9%',
    caseWidth: null,
    labelKey: 'ui.worklist.column.received',
    sortValue: (s) => s.importedAt,
    render: (s, locale) => <time dateTime={s.importedAt}>{formatReceived(s.importedAt, locale)}</time>,
  },
];

/** A moment in the reader's own time zone (unlike DICOM dates, importedAt is a real UTC instant). */
function formatReceived(iso: string, locale: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' }).format(d);
}

/** A duration in the largest unit that keeps it readable: minutes, hours below two days, days. */
export function formatDuration(ms: number, locale: string): string {
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  const [value, unit] = minutes < 60 ? [minutes, 'minute'] : minutes < 48 * 60 ? [Math.floor(minutes / 60), 'hour'] : [Math.floor(minutes / 1440), 'day'];
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' }).format(value);
}

export const DEADLINE_FORMAT: Intl.DateTimeFormatOptions = { month: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit' };

/** The deadline in the reader's own time zone, and the time left or how long it is overdue. */
function DeadlineCell({ study, locale, t, now }: { study: StudySummary; locale: string; t: (k: string, o?: Record<string, unknown>) => string; now: number }) {
  const c = study.case!;
  const at = Date.parse(c.deadlineAt);
  if (Number.isNaN(at)) return null;
  // Deadlines are days away at most: day, month and time (the year is in the tooltip).
  const when = new Intl.DateTimeFormat(locale, DEADLINE_FORMAT).format(at);
  const full = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
  const done = study.status === 'reported' || study.status === 'delivered';
  const left = at - now;
  const note = done ? '' : left <= 0
    ? t('ui.worklist.deadline.overdueBy', { duration: formatDuration(-left, locale) })
    : t('ui.worklist.deadline.left', { duration: formatDuration(left, locale) });
  const state = done ? 'done' : left <= 0 ? 'overdue' : 'open';
  return (
    <span className={`deadline deadline-${state}`} data-deadline={state}
      title={`${full}${note ? ` · ${note}` : ''} · ${t('ui.worklist.deadline.received', { time: formatReceived(c.receivedAt, locale) })}`}>
      <time dateTime={c.deadlineAt}>{when}</time>
      {note && <span className="deadline-note" data-testid="deadline-note">{note}</span>}
    </span>
  );
}

const RECEIVED_WITHIN: Record<string, number> = { today: 0, '7d': 7, '30d': 30 };

/** Received today (since local midnight) or within the last N days. */
function receivedWithin(iso: string, range: string, now: Date): boolean {
  if (!range) return true;
  const days = RECEIVED_WITHIN[range];
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - days);
  return new Date(iso).getTime() >= start.getTime();
}

type Sort = { column: string; descending: boolean };

/**
 * The AI's view of a study, labelled as assistive: its priority band, the top finding and score,
 * or why there is none (not applicable, failed, not triaged yet).
 */
function AiCell({ result, locale, t }: { result: StudyTriageResult | undefined; locale: string; t: (k: string, o?: Record<string, unknown>) => string }) {
  if (!result) return <span className="ai ai-pending" data-ai-priority="pending">—</span>;
  const model = `${result.model.id} ${result.model.version}`;
  if (result.status !== 'done' || result.findings.length === 0) {
    const key = result.status === 'error' ? 'ui.worklist.ai.error' : 'ui.worklist.ai.notApplicable';
    return <span className="ai ai-none" data-ai-priority="none" data-ai-status={result.status} title={result.reason ?? ''}>{t(key)}</span>;
  }
  const priority = aiPriority(result);
  const top = result.findings.reduce((a, b) => (b.score > a.score ? b : a));
  const label = t(`ui.worklist.ai.label.${top.label}`, { defaultValue: top.label });
  // Truncated, not rounded: a score of 0.998 must not read as a certain 100%.
  const score = new Intl.NumberFormat(locale, { style: 'percent' }).format(Math.floor(top.score * 100) / 100);
  return (
    <span
      className={`ai ai-${priority}`}
      data-ai-priority={priority}
      title={t('ui.worklist.ai.assistive', { model, label, score })}
    >
      {priority === 'high' ? '▲ ' : priority === 'elevated' ? '△ ' : ''}
      {priority === 'routine' ? t('ui.worklist.ai.notFlagged', { score }) : `${label} ${score}`}
    </span>
  );
}

/** A partner is named by its own name; local media by what it is, in the reader's language. */
function sourceLabel(source: StudySummary['source'], t: (k: string) => string): string {
  return source.kind === 'partner' && source.name ? source.name : t(`ui.worklist.sourceKind.${source.kind}`);
}

function matchesSearch(s: StudySummary, q: string): boolean {
  if (!q) return true;
  const hay = `${personNameSearchText(s.PatientName)} ${s.PatientID} ${s.AccessionNumber} ${s.StudyDescription}`.toLowerCase();
  return q.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
}

/**
 * `focusStudy`: the row to focus once the list is shown (the study just closed), for keyboard reading.
 * `onChoose`: a row was pressed or reached by keyboard (the study may be opened next), with its element.
 */
export function Worklist({ onOpen, onChoose, focusStudy }: {
  onOpen(StudyInstanceUID: string): void;
  onChoose?(study: StudySummary, row: HTMLElement): void;
  focusStudy?: string;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [studies, setStudies] = useState<StudySummary[] | undefined>();
  const [loadError, setLoadError] = useState<unknown>();
  const [query, setQuery] = useState('');
  const [modality, setModality] = useState('');
  const [status, setStatus] = useState('');
  const [source, setSource] = useState('');
  const [received, setReceived] = useState('');
  // The reading order by default: with partners' cases, by deadline (then the AI's ranking);
  // otherwise the AI's ranking (assistive), oldest first within a band. A click on a column replaces it.
  const [chosenSort, setSort] = useState<Sort | undefined>();
  const [triage, setTriage] = useState<ReadonlyMap<string, StudyTriageResult>>(new Map());
  // The time left to deadlines counts down while the list is open.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  const cellContext = useMemo<CellContext>(() => ({ triage, now }), [triage, now]);
  const hasCases = useMemo(() => (studies ?? []).some((s) => s.case), [studies]);
  const columns = useMemo(
    () => worklistColumns.filter((c) => (hasCases ? c.caseWidth !== null : !c.caseOnly)),
    [hasCases],
  );
  // The shares of the columns shown, scaled to fill the table whichever columns are left out.
  const widths = useMemo(() => {
    const share = columns.map((c) => parseFloat((hasCases ? c.caseWidth ?? c.width : c.width) ?? '0') || 0);
    const total = share.reduce((a, b) => a + b, 0) || 1;
    return share.map((w) => `${((w * 100) / total).toFixed(3)}%`);
  }, [columns, hasCases]);
  const sort: Sort = chosenSort && columns.some((c) => c.id === chosenSort.column)
    ? chosenSort
    : { column: hasCases ? 'deadline' : 'aiPriority', descending: false };
  const [dragging, setDragging] = useState(false);
  const { state: importState, finished: importsFinished, start: startImport, dismiss } = useImport();
  const scroller = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);

  const reload = useCallback(() => {
    services.studies.listStudies().then(
      (s) => { setStudies(s); setLoadError(undefined); },
      (e) => setLoadError(e),
    );
  }, []);
  useEffect(() => {
    reload();
    const offStudies = services.studies.onDidChangeStudies(() => reload());
    // A measurement, a draft, a signature or a delivery changes one study's status: that row follows.
    const offStatus = services.studies.onDidChangeStudyStatus(({ StudyInstanceUID, status }) =>
      setStudies((list) => list?.map((s) => (s.StudyInstanceUID === StudyInstanceUID ? { ...s, status } : s))));
    return () => { offStudies(); offStatus(); };
  }, [reload]);
  // Triage results arrive after an import (the model runs in the background on the host).
  useEffect(() => {
    let live = true;
    services.triage.listStudyTriage().then(
      (list) => live && setTriage(new Map(list.map((r) => [r.StudyInstanceUID, r]))),
      () => undefined, // No results yet is not an error of the worklist; the column stays empty.
    );
    const off = services.triage.onDidTriageStudy((r) => setTriage((m) => new Map(m).set(r.StudyInstanceUID, r)));
    return () => { live = false; off(); };
  }, []);
  // The import's summary may arrive before the change event; reload so the rows match it.
  useEffect(() => { if (importState.phase === 'done') reload(); }, [importState.phase, reload]);

  const modalities = useMemo(
    () => [...new Set((studies ?? []).flatMap((s) => s.ModalitiesInStudy.split('\\').filter(Boolean)))].sort(),
    [studies],
  );
  const sources = useMemo(
    () => [...new Map((studies ?? []).map((s) => [s.source.id, s.source])).values()].sort((a, b) => a.name.localeCompare(b.name)),
    [studies],
  );

  const rows = useMemo(() => {
    const col = columns.find((c) => c.id === sort.column) ?? columns[0];
    const collator = new Intl.Collator(locale, { numeric: true, sensitivity: 'base' });
    const now = new Date();
    const filtered = (studies ?? []).filter(
      (s) =>
        matchesSearch(s, query.trim()) &&
        (!modality || s.ModalitiesInStudy.split('\\').includes(modality)) &&
        (!status || s.status === status) &&
        (!source || s.source.id === source) &&
        receivedWithin(s.importedAt, received, now),
    );
    return filtered.sort((a, b) => {
      if (col.compare) return sort.descending ? -col.compare(a, b, cellContext) : col.compare(a, b, cellContext);
      const va = col.sortValue(a);
      const vb = col.sortValue(b);
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : collator.compare(String(va), String(vb));
      return sort.descending ? -c : c;
    });
  }, [studies, query, modality, status, source, received, sort.column, sort.descending, columns, locale, cellContext]);

  // Only the rows in view are in the document (a worklist may hold thousands of studies), so
  // keyboard moves go by index: scroll the row into view, then focus it once it is drawn.
  const pendingFocus = useRef<number | undefined>(undefined);
  const focusRow = useCallback((index: number) => {
    const box = scroller.current;
    if (!box || rows.length === 0) return;
    const i = Math.max(0, Math.min(rows.length - 1, index));
    const top = i * ROW_HEIGHT;
    const head = box.querySelector('thead')?.getBoundingClientRect().height ?? 0;
    if (top < box.scrollTop) box.scrollTop = top;
    else if (top + ROW_HEIGHT > box.scrollTop + box.clientHeight - head) box.scrollTop = top + ROW_HEIGHT - box.clientHeight + head;
    const el = box.querySelector<HTMLElement>(`tr[data-index="${i}"]`);
    if (el) el.focus();
    else {
      pendingFocus.current = i;
      setScrollTop(box.scrollTop);
    }
  }, [rows.length]);
  useLayoutEffect(() => {
    if (pendingFocus.current === undefined) return;
    const el = scroller.current?.querySelector<HTMLElement>(`tr[data-index="${pendingFocus.current}"]`);
    if (el) {
      pendingFocus.current = undefined;
      el.focus();
    }
  });

  const onRowKey = (ev: KeyboardEvent<HTMLTableRowElement>, uid: string, index: number) => {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1);
    const to: Record<string, number> = {
      ArrowDown: index + 1, ArrowUp: index - 1, PageDown: index + page, PageUp: index - page, Home: 0, End: rows.length - 1,
    };
    if (ev.key === 'Enter') onOpen(uid);
    else if (ev.key === 'ArrowUp' && index === 0) {
      search.current?.focus();
      ev.preventDefault();
    } else if (ev.key in to) {
      focusRow(to[ev.key]);
      ev.preventDefault();
    }
  };

  // "/" jumps to the search box from anywhere on the worklist; ArrowDown leaves it for the rows.
  useEffect(() => {
    const onKey = (ev: globalThis.KeyboardEvent) => {
      const inField = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement || ev.target instanceof HTMLTextAreaElement;
      if (ev.key === '/' && !inField) {
        search.current?.focus();
        ev.preventDefault();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const focused = useRef(false);
  useEffect(() => {
    if (focused.current || !focusStudy || !studies) return;
    focused.current = true;
    const i = rows.findIndex((r) => r.StudyInstanceUID === focusStudy);
    if (i >= 0) focusRow(i);
  }, [focusStudy, studies, rows, focusRow]);

  // The window of rows to draw, from the scroll position and the visible height.
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(800);
  useLayoutEffect(() => {
    const box = scroller.current;
    if (!box) return;
    const ro = new ResizeObserver(() => setViewHeight(box.clientHeight));
    ro.observe(box);
    setViewHeight(box.clientHeight);
    return () => ro.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN);

  const onDrop = async (ev: DragEvent) => {
    ev.preventDefault();
    setDragging(false);
    const files = await droppedFiles(ev.dataTransfer, shellKind === 'electron');
    await startImport(files);
  };

  const state = loadError ? 'error' : studies ? 'ready' : 'loading';
  return (
    <section
      className={`worklist${dragging ? ' dragging' : ''}`}
      data-testid="worklist"
      data-state={state}
      data-count={rows.length}
      onDragOver={(ev) => { ev.preventDefault(); setDragging(true); }}
      onDragLeave={(ev) => { if (ev.currentTarget === ev.target) setDragging(false); }}
      onDrop={(ev) => void onDrop(ev)}
    >
      <div className="toolbar">
        <input
          type="search"
          data-testid="worklist-search"
          placeholder={t('ui.worklist.searchPlaceholder')}
          aria-label={t('ui.worklist.search')}
          ref={search}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              focusRow(0);
              e.preventDefault();
            }
          }}
        />
        <select data-testid="filter-modality" aria-label={t('ui.worklist.filter.modality')} value={modality} onChange={(e) => setModality(e.target.value)}>
          <option value="">{t('ui.worklist.filter.allModalities')}</option>
          {modalities.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
        <select data-testid="filter-status" aria-label={t('ui.worklist.filter.status')} value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t('ui.worklist.filter.allStatuses')}</option>
          {STATUSES.map((s) => <option key={s} value={s}>{t(`ui.worklist.status.${s}`)}</option>)}
        </select>
        <select data-testid="filter-source" aria-label={t('ui.worklist.filter.source')} value={source} onChange={(e) => setSource(e.target.value)}>
          <option value="">{t('ui.worklist.filter.allSources')}</option>
          {sources.map((s) => <option key={s.id} value={s.id}>{sourceLabel(s, t)}</option>)}
        </select>
        <select data-testid="filter-received" aria-label={t('ui.worklist.filter.received')} value={received} onChange={(e) => setReceived(e.target.value)}>
          <option value="">{t('ui.worklist.filter.receivedAny')}</option>
          {Object.keys(RECEIVED_WITHIN).map((r) => <option key={r} value={r}>{t(`ui.worklist.filter.receivedWithin.${r}`)}</option>)}
        </select>
        <span className="spacer" />
        <ImportPanel state={importState} finished={importsFinished} onFiles={startImport} onDismiss={dismiss} />
      </div>
      {loadError !== undefined && <p className="error" role="alert">{errorText(loadError)}</p>}
      <div className="table-scroll" ref={scroller} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <table className={`studies${hasCases ? ' with-cases' : ''}`} data-cases={hasCases ? 'yes' : 'no'} aria-rowcount={rows.length + 1}>
          <colgroup>
            {columns.map((c, i) => <col key={c.id} style={{ width: widths[i] }} />)}
          </colgroup>
          <thead>
            <tr>
              {columns.map((c) => (
                <th
                  key={c.id}
                  className={c.numeric ? 'numeric' : undefined}
                  aria-sort={sort.column === c.id ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <button
                    type="button"
                    data-testid={`sort-${c.id}`}
                    title={t(c.labelKey)}
                    onClick={() => setSort({ column: c.id, descending: sort.column === c.id ? !sort.descending : false })}
                  >
                    {t(c.labelKey)}
                    {sort.column === c.id ? (sort.descending ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {first > 0 && <tr className="spacer" aria-hidden="true" style={{ height: first * ROW_HEIGHT }} />}
            {rows.slice(first, last).map((s, k) => (
              <tr
                key={s.StudyInstanceUID}
                tabIndex={0}
                data-testid="worklist-row"
                data-study-uid={s.StudyInstanceUID}
                data-index={first + k}
                aria-rowindex={first + k + 2}
                onMouseDown={(ev) => onChoose?.(s, ev.currentTarget)}
                onFocus={(ev) => onChoose?.(s, ev.currentTarget)}
                onDoubleClick={() => onOpen(s.StudyInstanceUID)}
                onKeyDown={(ev) => onRowKey(ev, s.StudyInstanceUID, first + k)}
              >
                {columns.map((c) => {
                  const content = c.render(s, locale, t, cellContext);
                  // A cut-off text can still be read whole on hover.
                  const title = typeof content === 'string' ? content : undefined;
                  return <td key={c.id} data-column={c.id} className={c.numeric ? 'numeric' : undefined} title={title}>{content}</td>;
                })}
              </tr>
            ))}
            {last < rows.length && <tr className="spacer" aria-hidden="true" style={{ height: (rows.length - last) * ROW_HEIGHT }} />}
          </tbody>
        </table>
      </div>
      {studies && rows.length === 0 && (
        <p className="empty" data-testid="worklist-empty">
          {studies.length === 0 ? t('ui.worklist.empty') : t('ui.worklist.noMatch')}
        </p>
      )}
      <footer className="statusbar" data-testid="worklist-count">
        {t('ui.worklist.count', { count: rows.length, formatted: formatNumber(rows.length, locale), total: formatNumber(studies?.length ?? 0, locale) })}
      </footer>
    </section>
  );
}
