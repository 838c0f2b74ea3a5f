// The reading status a worklist shows, from the facts the catalogue keeps: the derivation on its
// own, then through a real store (migrated from the schema before study_reports existed), and the
// study service announcing each change once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { unlockTestHome } from '../../test/vault.js';
import type { HeaderAttributes } from '../dicom/attributes.js';
import { migrations } from '../store/migrations.js';
import { StudyStore } from '../store/store.js';
import { openVaultDatabase } from '../vault/database.js';
import { studyAge, formatStudyAge } from './age.js';
import { recordCase } from '../cases/cases.js';
import { recordDraft, recordSigned, studiesOfPartners } from './reports.js';
import { LocalStudyService } from './service.js';
import { deriveStudyStatus, type StudyStatusFacts } from './status.js';

const none: StudyStatusFacts = { measurements: false, drafts: false, signed: false, outbox: 0, delivered: 0 };
const NOW = new Date('2026-12-01T12:00:00Z');

describe('deriveStudyStatus', () => {
  test('new, then in progress with a measurement or a draft, reported once signed, delivered once every report landed', () => {
    assert.equal(deriveStudyStatus(none, NOW), 'new');
    assert.equal(deriveStudyStatus({ ...none, measurements: true }, NOW), 'in-progress');
    assert.equal(deriveStudyStatus({ ...none, drafts: true }, NOW), 'in-progress');
    assert.equal(deriveStudyStatus({ ...none, drafts: true, signed: true }, NOW), 'reported');
    // A partner's report queued for delivery is signed, whether or not this home kept the copy.
    assert.equal(deriveStudyStatus({ ...none, outbox: 1 }, NOW), 'reported');
    assert.equal(deriveStudyStatus({ ...none, signed: true, outbox: 1, delivered: 1 }, NOW), 'delivered');
    // An amendment signed after the first report was delivered is not delivered until it lands too.
    assert.equal(deriveStudyStatus({ ...none, signed: true, outbox: 2, delivered: 1 }, NOW), 'reported');
  });

  test('a case past its deadline is overdue until something is signed', () => {
    const late = { ...none, deadlineAt: '2026-12-01T11:59:00Z' };
    assert.equal(deriveStudyStatus(late, NOW), 'overdue');
    assert.equal(deriveStudyStatus({ ...late, measurements: true }, NOW), 'overdue');
    assert.equal(deriveStudyStatus({ ...late, signed: true }, NOW), 'reported');
    assert.equal(deriveStudyStatus({ ...none, deadlineAt: '2026-12-01T12:01:00Z' }, NOW), 'new');
  });
});

describe('studyAge', () => {
  const tr = (key: string, p: Record<string, unknown>) => `${p.count} ${key.split('.').pop()}`;
  test('PatientAge first, as the files state it', () => {
    assert.deepEqual(studyAge({ PatientAge: '045Y', PatientBirthDate: '19000101', StudyDate: '20240101' }), { value: 45, unit: 'year', years: 45, from: 'PatientAge' });
    assert.equal(formatStudyAge(studyAge({ PatientAge: '018M', PatientBirthDate: '', StudyDate: '' }), tr), '18 month');
    assert.equal(formatStudyAge(studyAge({ PatientAge: '003W', PatientBirthDate: '', StudyDate: '' }), tr), '3 week');
  });

  test('else counted from the birth date to the study date, in days, months or years', () => {
    assert.deepEqual(studyAge({ PatientAge: '', PatientBirthDate: '19800615', StudyDate: '20240614' })?.value, 43);
    assert.deepEqual(studyAge({ PatientAge: '', PatientBirthDate: '19800615', StudyDate: '20240615' })?.value, 44);
    assert.equal(formatStudyAge(studyAge({ PatientAge: '', PatientBirthDate: '20230101', StudyDate: '20240301' }), tr), '14 month');
    assert.equal(formatStudyAge(studyAge({ PatientAge: '', PatientBirthDate: '20240301', StudyDate: '20240312' }), tr), '11 day');
    // A malformed PatientAge ("45Y") says nothing; the dates still do.
    assert.equal(studyAge({ PatientAge: '45Y', PatientBirthDate: '19800615', StudyDate: '20240615' })?.from, 'PatientBirthDate');
  });

  test('nothing is guessed: no dates, a malformed date, or a birth after the study', () => {
    assert.equal(studyAge({ PatientAge: '', PatientBirthDate: '', StudyDate: '20240101' }), undefined);
    assert.equal(studyAge({ PatientAge: '', PatientBirthDate: '19801301', StudyDate: '20240101' }), undefined);
    assert.equal(studyAge({ PatientAge: '', PatientBirthDate: '20250101', StudyDate: '20240101' }), undefined);
    assert.equal(formatStudyAge(undefined, tr), '');
  });
});

describe('status in the catalogue', () => {
  let home: string;
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'amur-'));
    await unlockTestHome(home);
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const study: HeaderAttributes = {
    StudyInstanceUID: '1.2.3', PatientName: 'Li^Na', PatientID: 'P1', PatientBirthDate: '19800615', PatientSex: 'F',
    PatientAge: '044Y', StudyDate: '20240615', AccessionNumber: 'A-17', StudyDescription: 'CT chest',
  };
  function add(s: StudyStore, a: HeaderAttributes): void {
    const tempPath = s.allocateTempPath();
    writeFileSync(tempPath, `file of ${a.SOPInstanceUID}`);
    const out = s.commitInstances(s.defaultSource().id, [{ header: { attributes: a, TransferSyntaxUID: '1.2.840.10008.1.2.1', hasFileMeta: true, isDicomDir: false }, tempPath }]);
    assert.deepEqual(out, ['imported']);
  }
  const statusOf = (s: StudyStore) => s.listStudies(NOW, '1.2.3')[0]?.status;

  test('the new columns are listed: age, sex, accession, body parts of the series', () => {
    const s = StudyStore.open(home);
    try {
      add(s, { ...study, SeriesInstanceUID: '1.2.3.1', Modality: 'CT', BodyPartExamined: 'CHEST', SOPInstanceUID: '1.2.3.1.1' });
      add(s, { ...study, SeriesInstanceUID: '1.2.3.2', Modality: 'CT', BodyPartExamined: 'ABDOMEN', SOPInstanceUID: '1.2.3.2.1' });
      add(s, { ...study, SeriesInstanceUID: '1.2.3.3', Modality: 'SR', SOPInstanceUID: '1.2.3.3.1' });
      const [st] = s.listStudies(NOW);
      assert.equal(st.PatientAge, '044Y');
      assert.equal(st.PatientSex, 'F');
      assert.equal(st.AccessionNumber, 'A-17');
      assert.equal(st.BodyPartExamined, 'ABDOMEN\\CHEST');
      assert.deepEqual(s.listStudies(NOW, '9.9.9'), []);
    } finally {
      s.close();
    }
  });

  test('a store at schema 7 migrates; its studies go new → in progress → reported → delivered as the facts arrive', () => {
    // A store made before migration 8: its studies have no PatientAge and no study_reports.
    let s = StudyStore.open(home);
    add(s, { ...study, SeriesInstanceUID: '1.2.3.1', Modality: 'CT', SOPInstanceUID: '1.2.3.1.1' });
    s.close();
    const db = openVaultDatabase(home, join(home, 'store', 'catalogue.sqlite'), 'catalogue/1');
    db.exec('DROP TABLE study_reports; ALTER TABLE studies DROP COLUMN PatientAge;');
    db.pragma('user_version = 7');
    db.close();
    assert.equal(migrations.at(-1)!.version >= 8, true);

    s = StudyStore.open(home);
    try {
      assert.equal(s.listStudies(NOW)[0]!.PatientAge, '', 'an older study keeps no age of its own; the UI counts it from the dates');
      assert.equal(statusOf(s), 'new');
      // A measurement kept, then undone: in progress, then new again.
      const id = s.db.prepare("SELECT id FROM studies WHERE StudyInstanceUID = '1.2.3'").pluck().get();
      s.db.prepare("INSERT INTO measurements (study_id, trackingUID, position, data, updated_at) VALUES (?, 't1', 0, '{}', ?)").run(id, NOW.toISOString());
      assert.equal(statusOf(s), 'in-progress');
      s.db.prepare("DELETE FROM measurements WHERE trackingUID = 't1'").run();
      assert.equal(statusOf(s), 'new');
      assert.equal(recordDraft(s, '1.2.3', '00000000-0000-4000-8000-000000000001'), true);
      assert.equal(recordDraft(s, '1.2.3', '00000000-0000-4000-8000-000000000001'), true, 'saving a draft again records nothing new');
      assert.equal(statusOf(s), 'in-progress');
      assert.equal(recordDraft(s, '9.9.9', '00000000-0000-4000-8000-000000000002'), false, 'a study not in the store records nothing');
      recordSigned(s, '1.2.3', '2.25.1', '00000000-0000-4000-8000-000000000001');
      assert.equal(statusOf(s), 'reported');
      assert.equal(s.db.prepare("SELECT count(*) FROM study_reports WHERE kind = 'draft'").pluck().get(), 0, 'the signed draft is no longer one');
      const outbox = s.db.prepare(`INSERT INTO outbox (id, StudyInstanceUID, agreement_id, dir, instances, status, created_at)
        VALUES (?, '1.2.3', 'ag-1', 'outbox/x', '[]', ?, ?)`);
      outbox.run('o1', 'queued', NOW.toISOString());
      assert.equal(statusOf(s), 'reported');
      s.db.prepare("UPDATE outbox SET status = 'delivered' WHERE id = 'o1'").run();
      assert.equal(statusOf(s), 'delivered');
      outbox.run('o2', 'failed', NOW.toISOString());
      assert.equal(statusOf(s), 'reported', 'an amendment not yet delivered');
    } finally {
      s.close();
    }
  });

  test('the study service announces a status once, when it changes', async () => {
    const s = StudyStore.open(home);
    const service = new LocalStudyService(s, { importOptions: { workers: 0 } });
    try {
      add(s, { ...study, SeriesInstanceUID: '1.2.3.1', Modality: 'CT', SOPInstanceUID: '1.2.3.1.1' });
      assert.equal((await service.listStudies())[0]!.status, 'new');
      const seen: string[] = [];
      service.onDidChangeStudyStatus((e) => seen.push(`${e.StudyInstanceUID}:${e.status}`));
      // The report service's events, as the host wires them (cli/host/services.ts).
      const drafts = new Set<(d: { StudyInstanceUID: string }) => void>();
      const off = service.follow({
        reports: {
          onDidSaveDraft: (l) => { drafts.add(l as any); return () => drafts.delete(l as any); },
          onDidSignReport: () => () => undefined,
        },
      });
      service.refreshStatus(['1.2.3']);
      assert.deepEqual(seen, [], 'nothing changed');
      recordDraft(s, '1.2.3', '00000000-0000-4000-8000-000000000003');
      for (const l of drafts) l({ StudyInstanceUID: '1.2.3' });
      for (const l of drafts) l({ StudyInstanceUID: '1.2.3' });
      assert.deepEqual(seen, ['1.2.3:in-progress']);
      recordSigned(s, '1.2.3', '2.25.2', '00000000-0000-4000-8000-000000000003');
      service.refreshStatus(['1.2.3', '1.2.3', '9.9.9']);
      assert.deepEqual(seen, ['1.2.3:in-progress', '1.2.3:reported']);
      off();
      assert.equal(drafts.size, 0);
    } finally {
      await service.dispose();
      s.close();
    }
  });

  test('a partner\'s case past its deadline turns overdue at the next refresh, with no one touching it', async () => {
    const s = StudyStore.open(home);
    const service = new LocalStudyService(s, { importOptions: { workers: 0 } });
    try {
      add(s, { ...study, SeriesInstanceUID: '1.2.3.1', Modality: 'CR', SOPInstanceUID: '1.2.3.1.1' });
      add(s, { ...study, StudyInstanceUID: '1.2.4', SeriesInstanceUID: '1.2.4.1', Modality: 'CR', SOPInstanceUID: '1.2.4.1.1' });
      const received = new Date();
      recordCase(s, {
        StudyInstanceUID: '1.2.3', agreementId: 'ag-1', partner: 'Harbin First Hospital', requestId: 'REQ-1', consentRef: 'C-1',
        priority: 'urgent', receivedAt: received.toISOString(), deadlineAt: new Date(received.getTime() + 3_600_000).toISOString(),
        exchangeUrl: 'https://exchange.invalid/dicom-web',
      });
      assert.deepEqual(studiesOfPartners(s), ['1.2.3'], 'the local study (no case, no report) is not looked at');
      assert.equal((await service.listStudies()).find((x) => x.StudyInstanceUID === '1.2.3')!.status, 'new');
      const seen: string[] = [];
      service.onDidChangeStudyStatus((e) => seen.push(`${e.StudyInstanceUID}:${e.status}`));
      service.refreshStatus(studiesOfPartners(s), new Date(received.getTime() + 2 * 3_600_000));
      assert.deepEqual(seen, ['1.2.3:overdue']);
    } finally {
      await service.dispose();
      s.close();
    }
  });
});
