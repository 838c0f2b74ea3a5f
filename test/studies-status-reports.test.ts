// The reading status through the report service the editor uses (not the CLI): a real head CT
// imported by `amur import`, a draft made by createDraft (in progress), signed by signDraft with a
// stored identity from the test PKI (reported). A store whose drafts and signed reports were kept
// before the catalogue recorded them (migration 8) counts them once the report service opens.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalReportService } from '../core/reports/service.js';
import { StudyStore } from '../core/store/store.js';
import { LocalStudyService } from '../core/studies/service.js';
import { filledDraft, signingHome, type SigningHome } from './report-fixtures.js';

let fixture: SigningHome;
let home: string;
let store: StudyStore;
let uid: string;

before(async () => {
  fixture = await signingHome();
  ({ home, store, StudyInstanceUID: uid } = fixture);
});
after(() => fixture.close());

const status = () => store.listStudies(new Date(), uid)[0]!.status;
const forgetRecords = () => store.db.prepare('DELETE FROM study_reports').run();

describe('the reading status through the report service', () => {
  it('new → in progress (the editor made a draft) → reported (signed), each announced once to a worklist', async () => {
    const reports = new LocalReportService(store, home);
    const studies = new LocalStudyService(store);
    const seen: string[] = [];
    studies.onDidChangeStudyStatus((e) => seen.push(e.status));
    const off = studies.follow({ reports });
    assert.equal((await studies.listStudies())[0]!.status, 'new');

    const d = await reports.createDraft(uid, { reader: 'ru' });
    assert.equal(status(), 'in-progress');
    await reports.saveDraft({ ...filledDraft(d.study), draftId: d.draftId, createdAt: d.createdAt });
    assert.deepEqual(seen, ['in-progress'], 'a second save changes nothing');

    // An earlier version kept this draft without recording it: opening the report service counts it.
    forgetRecords();
    assert.equal(status(), 'new');
    new LocalReportService(store, home);
    assert.equal(status(), 'in-progress');

    await reports.signDraft(d.draftId, 'ivanov', 'store-pass');
    assert.equal(status(), 'reported');
    assert.deepEqual(seen, ['in-progress', 'reported']);
    off();

    forgetRecords();
    assert.equal(status(), 'new');
    new LocalReportService(store, home);
    assert.equal(status(), 'reported', 'the kept signed report counts, and its draft is gone');
    assert.equal(store.db.prepare("SELECT count(*) FROM study_reports WHERE kind = 'draft'").pluck().get(), 0);
    await studies.dispose();
  });
});
