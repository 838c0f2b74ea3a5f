// The one contract between the UI and its host. The Electron preload, the browser-shell client
// and the host handlers are all derived from `contract` below, so a channel name is written once.
import type {
  ImportProgress,
  ImportSummary,
  InstanceSummary,
  SeriesSummary,
  StudyStatus,
  StudySummary,
} from './studies.js';
import type { ImagingService } from './imaging.js';
import type { TriageService } from './triage.js';
import type { MeasurementService } from './measurements.js';
import type { ReportService } from './reports.js';
import type { OutboxService } from './outbox.js';
import type { AuditService } from './audit.js';

import type { Event } from './event.js';

export type { Event, Unsubscribe } from './event.js';

export interface StudyService {
  listStudies(): Promise<StudySummary[]>;
  listSeries(StudyInstanceUID: string): Promise<SeriesSummary[]>;
  listInstances(SeriesInstanceUID: string): Promise<InstanceSummary[]>;
  /** Imports files, folders, DICOMDIRs and zip archives; progress comes as onDidImportProgress. */
  importPaths(paths: string[]): Promise<ImportSummary>;
  onDidImportProgress: Event<ImportProgress>;
  onDidChangeStudies: Event<{ StudyInstanceUIDs: string[] }>;
  /**
   * A study's reading status changed (a measurement or draft made, a report signed or delivered:
   * core/studies/status.ts), so a worklist updates its row without listing every study again.
   */
  onDidChangeStudyStatus: Event<{ StudyInstanceUID: string; status: StudyStatus }>;
}

export interface AmurServices {
  studies: StudyService;
  imaging: ImagingService;
  /** Assistive AI triage: results per study (findings, scores, heatmap) and the installed models. */
  triage: TriageService;
  /** Measurements and annotations per study, with undo/redo and TID 1500 export. */
  measurements: MeasurementService;
  /** Report templates, autosaved drafts (by draftId), signing with a stored identity, signed reports. */
  reports: ReportService;
  /** Signed reports waiting for delivery to the partners' exchanges, with their delivery state. */
  outbox: OutboxService;
  /** The audit trail of a study (who did what, when), as recorded on this workstation. */
  audit: AuditService;
}

/**
 * The wire description of AmurServices: for each service, its methods and its events.
 * `satisfies` ties it to the interfaces, so adding a method without listing it fails to compile.
 */
export const contract = {
  studies: {
    methods: ['listStudies', 'listSeries', 'listInstances', 'importPaths'],
    events: ['onDidImportProgress', 'onDidChangeStudies', 'onDidChangeStudyStatus'],
  },
  imaging: {
    methods: ['getImageFrame', 'getImagePlanes', 'getDocument'],
    events: [],
  },
  triage: {
    methods: ['getStudyTriage', 'listStudyTriage', 'triageStudies', 'listModels'],
    events: ['onDidTriageStudy'],
  },
  measurements: {
    methods: ['listMeasurements', 'saveMeasurement', 'removeMeasurement', 'undo', 'redo', 'exportMeasurementReport'],
    events: ['onDidChangeMeasurements'],
  },
  reports: {
    methods: ['listTemplates', 'createDraft', 'listDrafts', 'getDraft', 'saveDraft', 'listSigners', 'signingIdentity', 'validateDraft', 'previewDraft', 'retagDraft', 'importSigner', 'signDraft', 'listSignedReports', 'getSignedReportFile'],
    events: ['onDidSaveDraft', 'onDidSignReport'],
  },
  outbox: {
    methods: ['listOutbox'],
    events: [],
  },
  audit: {
    methods: ['listStudyAudit'],
    events: [],
  },
} as const satisfies { [S in keyof AmurServices]: ContractEntry<AmurServices[S]> };

type MethodKeys<T> = { [K in keyof T]: T[K] extends Event<any> ? never : T[K] extends (...a: any[]) => Promise<any> ? K : never }[keyof T];
type EventKeys<T> = { [K in keyof T]: T[K] extends Event<any> ? K : never }[keyof T];
export interface ContractEntry<T> {
  methods: readonly MethodKeys<T>[];
  events: readonly EventKeys<T>[];
}

// Compile-time proof that every method and event of every service is listed above.
type Missing<T, L extends { methods: readonly string[]; events: readonly string[] }> =
  | Exclude<MethodKeys<T>, L['methods'][number]>
  | Exclude<EventKeys<T>, L['events'][number]>;
type AssertAllListed<T extends never> = T;
export type ContractIsComplete = AssertAllListed<
  { [S in keyof AmurServices]: Missing<AmurServices[S], (typeof contract)[S]> }[keyof AmurServices]
>;

/** The channel name of a method or event, the only place such names are formed. */
export function channelName(service: string, member: string): string {
  return `amur:${service}.${member}`;
}
