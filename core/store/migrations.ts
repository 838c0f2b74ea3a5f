// The catalogue's schema, as an ordered list of migrations. PRAGMA user_version records how many
// have run; opening a store runs the missing ones in one transaction each, so a later issue adds
// agreements, AI results, reports or the audit trail by appending a migration, never by editing one.
//
// Column names are DICOM keywords (PS3.6) wherever the value is a DICOM attribute; the rest
// (ids, file_path, imported_at, status) are Amur's own and written in snake_case to tell them apart.
import type { Database } from 'better-sqlite3-multiple-ciphers';
import { STUDY_KEYS_SQL } from '../vault/study-keys.js';

export interface Migration {
  /** The user_version after this migration has run. */
  version: number;
  /** Why the migration exists, for a reader of the history. */
  why: string;
  up(db: Database): void;
}

export const migrations: Migration[] = [
  {
    version: 1,
    why: 'Sources, patients, studies, series and instances: the catalogue a worklist and a viewer need.',
    up(db) {
      db.exec(`
        -- Where a study came from: a partner hospital (kind 'partner') or local media ('media').
        -- Agreements, retention and audit hang off this table in later migrations.
        CREATE TABLE sources (
          id          TEXT PRIMARY KEY,
          kind        TEXT NOT NULL CHECK (kind IN ('partner', 'media')),
          name        TEXT NOT NULL UNIQUE,
          created_at  TEXT NOT NULL
        );

        -- A patient as known to one source. patient_key groups studies that share a Patient ID
        -- (and issuer) from the same source; a study with no Patient ID gets a patient of its own,
        -- because an empty ID says nothing about identity.
        CREATE TABLE patients (
          id                 INTEGER PRIMARY KEY,
          patient_key        TEXT NOT NULL UNIQUE,
          source_id          TEXT NOT NULL REFERENCES sources(id),
          PatientID          TEXT NOT NULL DEFAULT '',
          IssuerOfPatientID  TEXT NOT NULL DEFAULT '',
          PatientName        TEXT NOT NULL DEFAULT '',
          PatientBirthDate   TEXT NOT NULL DEFAULT '',
          PatientSex         TEXT NOT NULL DEFAULT ''
        );

        -- The patient attributes are repeated on the study as its instances carry them, so the
        -- worklist shows exactly what the study's files say even when sources disagree on a name.
        CREATE TABLE studies (
          id                      INTEGER PRIMARY KEY,
          StudyInstanceUID        TEXT NOT NULL UNIQUE,
          patient_id              INTEGER NOT NULL REFERENCES patients(id),
          source_id               TEXT NOT NULL REFERENCES sources(id),
          PatientName             TEXT NOT NULL DEFAULT '',
          PatientID               TEXT NOT NULL DEFAULT '',
          IssuerOfPatientID       TEXT NOT NULL DEFAULT '',
          PatientBirthDate        TEXT NOT NULL DEFAULT '',
          PatientSex              TEXT NOT NULL DEFAULT '',
          StudyDate               TEXT NOT NULL DEFAULT '',
          StudyTime               TEXT NOT NULL DEFAULT '',
          AccessionNumber         TEXT NOT NULL DEFAULT '',
          StudyID                 TEXT NOT NULL DEFAULT '',
          StudyDescription        TEXT NOT NULL DEFAULT '',
          ReferringPhysicianName  TEXT NOT NULL DEFAULT '',
          InstitutionName         TEXT NOT NULL DEFAULT '',
          status                  TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in-progress', 'reported')),
          imported_at             TEXT NOT NULL
        );
        CREATE INDEX studies_patient ON studies(patient_id);
        CREATE INDEX studies_source ON studies(source_id);
        CREATE INDEX studies_date ON studies(StudyDate);

        CREATE TABLE series (
          id                 INTEGER PRIMARY KEY,
          SeriesInstanceUID  TEXT NOT NULL UNIQUE,
          study_id           INTEGER NOT NULL REFERENCES studies(id),
          Modality           TEXT NOT NULL DEFAULT '',
          SeriesNumber       INTEGER,
          SeriesDescription  TEXT NOT NULL DEFAULT '',
          BodyPartExamined   TEXT NOT NULL DEFAULT '',
          SeriesDate         TEXT NOT NULL DEFAULT '',
          SeriesTime         TEXT NOT NULL DEFAULT '',
          ViewPosition       TEXT NOT NULL DEFAULT '',
          Laterality         TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX series_study ON series(study_id);

        -- file_path is relative to the store's root, so a store folder can be moved as a whole.
        CREATE TABLE instances (
          id                         INTEGER PRIMARY KEY,
          SOPInstanceUID             TEXT NOT NULL UNIQUE,
          series_id                  INTEGER NOT NULL REFERENCES series(id),
          SOPClassUID                TEXT NOT NULL DEFAULT '',
          InstanceNumber             INTEGER,
          TransferSyntaxUID          TEXT NOT NULL DEFAULT '',
          Rows                       INTEGER,
          Columns                    INTEGER,
          NumberOfFrames             INTEGER,
          BitsAllocated              INTEGER,
          PhotometricInterpretation  TEXT NOT NULL DEFAULT '',
          ImageType                  TEXT NOT NULL DEFAULT '',
          SpecificCharacterSet       TEXT NOT NULL DEFAULT '',
          ContentDate                TEXT NOT NULL DEFAULT '',
          ContentTime                TEXT NOT NULL DEFAULT '',
          SliceLocation              REAL,
          SliceThickness             REAL,
          has_file_meta              INTEGER NOT NULL,
          pixel_data_offset          INTEGER,
          file_path                  TEXT NOT NULL UNIQUE,
          file_size                  INTEGER NOT NULL,
          imported_at                TEXT NOT NULL
        );
        CREATE INDEX instances_series ON instances(series_id);
      `);
    },
  },
  {
    version: 2,
    why: 'AI triage results (issue 4): one row per study and model, so a re-run replaces it and the worklist can order by it.',
    up(db) {
      db.exec(`
        -- The assistive AI triage of a study. status is 'done' (findings hold scores),
        -- 'not-applicable' (no image in the model's scope) or 'error' (an in-scope image could not be
        -- processed); reason_code/reason_params name why, translated when shown. findings, heatmap
        -- and instance_counts are JSON. model_* identify exactly which verified model file ran.
        CREATE TABLE triage_results (
          id               INTEGER PRIMARY KEY,
          study_id         INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
          model_id         TEXT NOT NULL,
          model_version    TEXT NOT NULL,
          model_sha256     TEXT NOT NULL,
          status           TEXT NOT NULL CHECK (status IN ('done', 'not-applicable', 'error')),
          reason_code      TEXT,
          reason_params    TEXT,
          score            REAL,
          findings         TEXT NOT NULL DEFAULT '[]',
          operating_points TEXT NOT NULL,
          SOPInstanceUID   TEXT,
          heatmap          TEXT,
          instance_counts  TEXT NOT NULL,
          triaged_at       TEXT NOT NULL,
          UNIQUE (study_id, model_id)
        );
      `);
    },
  },
  {
    version: 3,
    why: 'Measurements (issue 5): saved as the radiologist draws them, so a crash loses nothing; undo/redo history survives a restart.',
    up(db) {
      db.exec(`
        -- One row per measurement; data is the StudyMeasurement as JSON (core/contract/measurements.ts).
        -- position keeps the order in which they were drawn, also across undo and redo.
        CREATE TABLE measurements (
          id           INTEGER PRIMARY KEY,
          study_id     INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
          trackingUID  TEXT NOT NULL UNIQUE,
          position     INTEGER NOT NULL,
          data         TEXT NOT NULL,
          updated_at   TEXT NOT NULL
        );
        CREATE INDEX measurements_study ON measurements(study_id, position);

        -- Undo/redo: each change of a study's measurements as (before, after) JSON, NULL meaning
        -- "absent". undone = 1 marks steps that were undone and can be redone; a new change drops them.
        CREATE TABLE measurement_history (
          id           INTEGER PRIMARY KEY,
          study_id     INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
          trackingUID  TEXT NOT NULL,
          before       TEXT,
          after        TEXT,
          undone       INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX measurement_history_study ON measurement_history(study_id, id);

        -- A per-study counter of measurement changes (undo and redo included), so a view can tell it is current.
        CREATE TABLE measurement_revisions (
          study_id     INTEGER PRIMARY KEY REFERENCES studies(id) ON DELETE CASCADE,
          revision     INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 4,
    why: 'Cases and the outbox (issue 9): a study pulled from an exchange under an agreement, and the signed reports waiting to go back.',
    up(db) {
      db.exec(`
        -- A case: a study a partner hospital sent under an agreement. Keyed by the (de-identified)
        -- StudyInstanceUID, so the row exists before all of the study's instances have arrived.
        -- received_at is when the hospital sent it (the deadline counts from it).
        CREATE TABLE cases (
          StudyInstanceUID  TEXT PRIMARY KEY,
          agreement_id      TEXT NOT NULL,
          partner           TEXT NOT NULL,
          request_id        TEXT NOT NULL,
          consent_ref       TEXT NOT NULL,
          priority          TEXT NOT NULL CHECK (priority IN ('routine', 'urgent')),
          received_at       TEXT NOT NULL,
          deadline_at       TEXT NOT NULL,
          exchange_url      TEXT NOT NULL,
          pulled_at         TEXT,
          created_at        TEXT NOT NULL
        );
        CREATE INDEX cases_agreement ON cases(agreement_id);

        -- A signed report waiting for delivery. Its files live under outbox/<id>/ (relative to the
        -- store root) until delivered; instances is JSON [{SOPInstanceUID, SOPClassUID, file}].
        -- status: queued -> sending -> delivered, or failed (retried after next_attempt_at). claimed_by is
        -- the pid of the process sending it: a 'sending' item whose process died is taken up again.
        CREATE TABLE outbox (
          id                TEXT PRIMARY KEY,
          StudyInstanceUID  TEXT NOT NULL,
          agreement_id      TEXT NOT NULL,
          dir               TEXT NOT NULL,
          instances         TEXT NOT NULL,
          status            TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'delivered', 'failed')),
          attempts          INTEGER NOT NULL DEFAULT 0,
          error_code        TEXT,
          error_params      TEXT,
          next_attempt_at   TEXT,
          claimed_by        INTEGER,
          created_at        TEXT NOT NULL,
          delivered_at      TEXT
        );
        CREATE INDEX outbox_study ON outbox(StudyInstanceUID);
      `);
    },
  },
  {
    // Encryption at rest (core/vault): the per-study data keys, wrapped under the master key, and
    // whether every instance file is sealed yet (a store made before this version is not).
    version: 5,
    why: 'patient data at rest are encrypted: a key per study, so that purging one study is crypto-shredding',
    up(db) {
      db.exec(STUDY_KEYS_SQL);
      db.exec(`CREATE TABLE vault_state (files_sealed INTEGER NOT NULL);
        INSERT INTO vault_state (files_sealed) SELECT CASE WHEN EXISTS (SELECT 1 FROM instances) THEN 0 ELSE 1 END;`);
    },
  },
  {
    // A column rather than a key inside operating_points: which population's figures apply is a fact
    // of the result in its own right (the worklist may filter on it), and operating_points stays the
    // plain pair the contract names.
    version: 6,
    why: 'A triage model validated for several patient populations (chosen by age): a done result names the population whose operating points it was judged at.',
    up(db) {
      db.exec(`
        -- The id of the model population (manifest "populations") of the instance that gave the
        -- score; NULL for a result that is not done, and for results made before models had populations.
        ALTER TABLE triage_results ADD COLUMN population TEXT;
      `);
    },
  },
  {
    // A column of the instance rather than of the study or series: the instance's file is the
    // evidence (a study's other files may carry the UID that this one lacked).
    version: 7,
    why: 'Tolerant reading (issue 13): an image filed under a UID Amur derived, because its file had none or one that is not a UID, says so.',
    up(db) {
      db.exec(`
        -- JSON {"<keyword>": {"original"?: the file's invalid value, "from"?: "MediaStorageSOPInstanceUID"}}
        -- for each of SOPInstanceUID, SeriesInstanceUID, StudyInstanceUID that the catalogue holds
        -- in place of the file's own; NULL when the file's UIDs are its own (every instance before this version).
        ALTER TABLE instances ADD COLUMN derived_uids TEXT;
      `);
    },
  },
  {
    // Facts, not a state: the reading status is derived from them (core/studies/status.ts), so it
    // cannot drift from what happened. studies.status (migration 1) was never written and is unused.
    version: 8,
    why: 'A worklist a reader can trust (issue 11): the patient\'s age as the study states it, and which report drafts and signed reports each study has, for its reading status.',
    up(db) {
      db.exec(`
        -- PatientAge (0010,1010, AS) of the study's first instance; '' for studies catalogued before
        -- this version (their age is counted from PatientBirthDate and StudyDate instead).
        ALTER TABLE studies ADD COLUMN PatientAge TEXT NOT NULL DEFAULT '';

        -- One row per report draft (ref: its draftId) or signed report (ref: the SR's SOPInstanceUID)
        -- of a study, recorded by the report editor's service and by \`amur report draft|sign\`. A
        -- draft's row goes when it is signed; the files themselves stay under AMUR_HOME/reports or
        -- wherever the user signed them.
        CREATE TABLE study_reports (
          kind         TEXT NOT NULL CHECK (kind IN ('draft', 'signed')),
          ref          TEXT NOT NULL,
          study_id     INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
          recorded_at  TEXT NOT NULL,
          PRIMARY KEY (kind, ref)
        );
        CREATE INDEX study_reports_study ON study_reports(study_id, kind);
      `);
    },
  },
];

export const SCHEMA_VERSION = migrations[migrations.length - 1].version;
