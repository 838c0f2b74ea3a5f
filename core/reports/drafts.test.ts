// Drafts survive a crash: a process killed with SIGKILL while it saves a draft over and over leaves
// a draft that loads (the last or the one before), never a torn file; and the store lists and
// removes drafts per study. At rest a draft is sealed under its study's key: its file shows neither
// the patient nor the study, a file put in another draft's place does not open, a draft an earlier
// version left in clear is sealed, and once the study's key is shredded the draft is refused with
// a translated reason.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unlockTestHome } from '../../test/vault.js';
import { isAmurError } from '../common/errors.js';
import { errorMessage, LANGUAGES } from '../i18n/index.js';
import { StudyStore } from '../store/store.js';
import { createDraft, type StudyReference } from './draft.js';
import { DraftStore } from './drafts.js';
import { loadTemplate } from './template.js';

const study: StudyReference = {
  StudyInstanceUID: '1.2.3', StudyID: '', StudyDate: '', StudyTime: '', AccessionNumber: '', StudyDescription: '',
  ReferringPhysicianName: '', PatientName: 'Wang^Fang=王^芳', PatientID: 'PID-DRAFT-4711', IssuerOfPatientID: '', PatientBirthDate: '', PatientSex: 'F',
  series: [{ SeriesInstanceUID: '1.2.3.1', Modality: 'CT', instances: [{ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.1.1' }] }],
};

/** The patient and the study as a draft's JSON would hold them (the UID with its quotes), in UTF-8 and UTF-16. */
const needles = ['Wang^Fang', '王^芳', 'PID-DRAFT-4711', '"1.2.3"'].flatMap((n) => [Buffer.from(n, 'utf8'), Buffer.from(n, 'utf16le')]);

let home: string;
let store: StudyStore;
before(async () => {
  home = mkdtempSync(join(tmpdir(), 'amur-'));
  await unlockTestHome(home);
  store = StudyStore.open(home);
});
after(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

describe('DraftStore', () => {
  it('saves, loads, lists by study and removes', () => {
    const drafts = new DraftStore(store);
    const d = createDraft(study, loadTemplate('ct-head'));
    d.impression = [{ lang: 'ru', text: 'Без патологии.' }];
    drafts.save(d);
    assert.deepEqual(drafts.load(d.draftId), d);
    assert.deepEqual(drafts.list('1.2.3').map((s) => s.draftId), [d.draftId]);
    assert.deepEqual(drafts.list('9.9'), []);
    drafts.remove(d.draftId);
    assert.throws(() => drafts.load(d.draftId), (e: unknown) => isAmurError(e) && e.code === 'reports.draftNotFound');
  });

  it('refuses an invalid draft without touching the saved one', () => {
    const drafts = new DraftStore(store);
    const d = createDraft(study, loadTemplate('ct-head'));
    drafts.save(d);
    assert.throws(() => drafts.save({ ...d, findings: [{ id: 'nope' }] }), (e: unknown) => isAmurError(e) && e.code === 'reports.draftInvalid');
    assert.deepEqual(drafts.load(d.draftId).findings, []);
    drafts.remove(d.draftId);
  });

  it('keeps the patient and the study out of the file, and a file put in another draft\'s place does not open', () => {
    const drafts = new DraftStore(store);
    const a = createDraft(study, loadTemplate('ct-head'));
    const b = createDraft(study, loadTemplate('ct-head'));
    drafts.save(a);
    drafts.save(b);
    for (const name of readdirSync(drafts.dir)) {
      const bytes = readFileSync(join(drafts.dir, name));
      for (const n of needles) assert.ok(!bytes.includes(n), `${name} shows ${n.toString()}`);
    }
    copyFileSync(join(drafts.dir, `${a.draftId}.draft`), join(drafts.dir, `${b.draftId}.draft`));
    assert.throws(() => drafts.load(b.draftId), (e: unknown) => isAmurError(e) && e.code === 'vault.fileWrongKey');
    assert.deepEqual(drafts.list('1.2.3').map((s) => s.draftId), [a.draftId], 'the swapped file is not listed');
    drafts.remove(a.draftId);
    drafts.remove(b.draftId);
  });

  it('seals a draft an earlier version saved in clear', () => {
    const d = createDraft(study, loadTemplate('ct-head'));
    const dir = join(home, 'reports', 'drafts');
    writeFileSync(join(dir, `${d.draftId}.json`), JSON.stringify({ ...d, savedAt: '2026-01-01T00:00:00.000Z' }));
    const drafts = new DraftStore(store);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith(d.draftId)), [`${d.draftId}.draft`]);
    assert.deepEqual(drafts.load(d.draftId), d);
    drafts.remove(d.draftId);
  });

  it('after the study\'s key is shredded, its drafts are refused with a translated reason, and a purge still finds them', () => {
    const other: StudyReference = { ...study, StudyInstanceUID: '1.2.4' };
    const drafts = new DraftStore(store);
    const d = createDraft(other, loadTemplate('ct-head'));
    drafts.save(d);
    assert.equal(store.keys.shred('1.2.4'), true);
    assert.throws(() => drafts.load(d.draftId), (e: unknown) => {
      if (!isAmurError(e) || e.code !== 'vault.studyKeyGone') return false;
      for (const lang of LANGUAGES) {
        const text = errorMessage(e, lang);
        assert.ok(text.includes('1.2.4') && !text.includes('errors.'), `${lang}: ${text}`);
      }
      return true;
    });
    assert.deepEqual(drafts.list('1.2.4'), [], 'an unreadable draft is not listed');
    assert.deepEqual(drafts.idsOfStudy('1.2.4'), [d.draftId], 'but a purge finds it');
    drafts.remove(d.draftId);
  });

  it('keeps a loadable draft when the saving process is killed at any moment', async () => {
    const crashHome = join(home, 'crash');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./drafts.crash-child.ts', import.meta.url)), crashHome], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Kill it once it has saved many times, i.e. while it is somewhere inside a save.
    let draftId = '';
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split('\n').filter(Boolean);
        draftId ||= lines[0] ?? '';
        if (lines.length > 200) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', (code, signal) => { if (signal !== 'SIGKILL') reject(new Error(`child ended early: ${code}`)); });
    });
    await new Promise((r) => child.once('close', r));
    await unlockTestHome(crashHome);
    const crashStore = StudyStore.open(crashHome);
    try {
      const d = new DraftStore(crashStore).load(draftId);
      assert.match(d.impression[0]!.text, /^save \d+$/);
      assert.ok(Number(d.impression[0]!.text.slice(5)) >= 150, 'a recent version survived');
      // Leftover temp files are hidden and never listed as drafts.
      assert.deepEqual(new DraftStore(crashStore).list().map((s) => s.draftId), [draftId]);
      assert.ok(readdirSync(join(crashHome, 'reports', 'drafts')).every((n) => n === `${draftId}.draft` || n.startsWith('.')));
    } finally {
      crashStore.close();
    }
  });
});
