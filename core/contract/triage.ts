// AI triage as the UI and the CLI see it: one result per study, with the model that produced it,
// its findings at the operating points, and a small heatmap grid for the viewer's overlay. The
// output is assistive: it orders the worklist and proposes findings; the radiologist decides.
import type { Event } from './event.js';

export type TriageStatus = 'done' | 'not-applicable' | 'error';

export interface TriageModelRef {
  id: string;
  version: string;
  sha256: string;
}

export interface TriageFinding {
  label: string;
  /** The model's score, 0..1. */
  score: number;
  /** At the balanced operating point (the default the worklist and the CLI use). */
  positive: boolean;
  /** At the high-sensitivity operating point (more flagged, fewer missed). */
  positiveAtHighSensitivity: boolean;
}

/**
 * Where the model looked on one image: a coarse grid over the whole image, row-major, top-left
 * first, 0..1 on the model's fixed scale (comparable between images: a low score shows faint heat).
 */
export interface TriageHeatmap {
  SOPInstanceUID: string;
  rows: number;
  columns: number;
  values: number[];
}

export interface StudyTriageResult {
  StudyInstanceUID: string;
  status: TriageStatus;
  /** Stable code of why the study is not applicable or failed (e.g. "triage.outOfScope"). */
  reasonCode?: string;
  /** The reason in the host's language. */
  reason?: string;
  /** The reason's parameters, so that a UI in another language words it as errors.<reasonCode>. */
  reasonParams?: Record<string, string | number>;
  model: TriageModelRef;
  findings: TriageFinding[];
  /**
   * The thresholds the findings were judged at: those of the population of the instance that gave
   * the score. A result that is not done carries those of the model's headline population.
   */
  operatingPoints: { balanced: number; high_sensitivity: number };
  /** Done results: the id of the model population (chosen by the patient's age) whose operating points apply. */
  population?: string;
  /** The instance whose score is the study's (the highest of its in-scope images). */
  SOPInstanceUID?: string;
  heatmap?: TriageHeatmap;
  /** In-scope images triaged / images that were out of scope / images that failed. */
  instances: { done: number; notApplicable: number; error: number };
  /** ISO 8601 UTC time the result was made. */
  triagedAt: string;
}

/** The AI part of a worklist row's order (see core/triage/priority.ts): higher reads first. */
export type AIPriority = 'high' | 'elevated' | 'routine' | 'none';

export interface TriageModelSummary extends TriageModelRef {
  task: string;
  labels: string[];
  origin: 'bundled' | 'home';
  /** Whether the model file's SHA-256 matches its manifest; a model that does not is never used. */
  hashStatus: 'ok' | 'mismatch' | 'missing-file';
  intendedUse: string;
  /** The headline figures (one population's). */
  metrics: TriageMetrics;
  /** Every population the model was validated for, with its own figures. */
  populations: TriagePopulationSummary[];
}

/** Figures on data the model never trained on, measured on one population. */
export interface TriageMetrics {
  population: string;
  auroc: number | null;
  auroc_ci95: [number | null, number | null];
  sensitivity: number | null;
  specificity: number | null;
  n: number;
}

export interface TriagePopulationSummary {
  id: string;
  /** The manifest's own words (as the model's author wrote them, not translated). */
  description: string;
  /** Inclusive bounds on whole years of age. */
  ageYears: [number, number];
  /** The ViewPosition values validated for the population. */
  views: string[];
  metrics: TriageMetrics;
}

export interface TriageService {
  /** The stored result of one study, or null when it has not been triaged (yet). */
  getStudyTriage(StudyInstanceUID: string): Promise<StudyTriageResult | null>;
  /** Every stored result, for the worklist's AI column and its order. */
  listStudyTriage(): Promise<StudyTriageResult[]>;
  /** Triages (again) the given studies now and stores the results. */
  triageStudies(StudyInstanceUIDs: string[]): Promise<StudyTriageResult[]>;
  listModels(): Promise<TriageModelSummary[]>;
  /** A study's result was stored (after import, or on request). */
  onDidTriageStudy: Event<StudyTriageResult>;
}
