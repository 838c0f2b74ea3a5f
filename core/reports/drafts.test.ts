// Drafts survive a crash: a process killed with SIGKILL while it saves a draft over and over leaves
// a draft that loads (the last or the one before), never a torn file; and the store lists and
// removes drafts per study.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isAmurError } from '../common/errors.js';
import { createDraft, type StudyReference } from './draft.js';
import { DraftStore } from './drafts.js';
import { loadTemplate } from './template.js';

const study: StudyReference = {
  StudyInstanceUID: '1.2.3', StudyID: '', StudyDate: '', StudyTime: '', AccessionNumber: '', StudyDescription: '',
  ReferringPhysicianName: '', PatientName: 'Wang^Fang', PatientID: 'P1', IssuerOfPatientID: '', PatientBirthDate: '', PatientSex: 'F',
  series: [{ SeriesInstanceUID: '1.2.3.1', Modality: 'CT', instances: [{ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.1.1' }] }],
};

let home: string;
before(() => { home = mkdtempSync(join(tmpdir(), 'amur-')); });
after(() => rmSync(home, { recursive: true, force: true }));

describe('DraftStore', () => {
  it('saves, loads, lists by study and removes', () => {
    const store = new DraftStore(home);
    const d = createDraft(study, loadTemplate('ct-head'));
    d.impression = [{ lang: 'ru', text: 'Без патологии.' }];
    store.save(d);
    assert.deepEqual(store.load(d.draftId), d);
    assert.deepEqual(store.list('1.2.3').map((s) => s.draftId), [d.draftId]);
    assert.deepEqual(store.list('9.9'), []);
    store.remove(d.draftId);
    assert.throws(() => store.load(d.draftId), (e: unknown) => isAmurError(e) && e.code === 'reports.draftNotFound');
  });

  it('refuses an invalid draft without touching the saved one', () => {
    const store = new DraftStore(home);
    const d = createDraft(study, loadTemplate('ct-head'));
    store.save(d);
    assert.throws(() => store.save({ ...d, findings: [{ id: 'nope' }] }), (e: unknown) => isAmurError(e) && e.code === 'reports.draftInvalid');
    assert.deepEqual(store.load(d.draftId).findings, []);
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
    const d = new DraftStore(crashHome).load(draftId);
    assert.match(d.impression[0]!.text, /^save \d+$/);
    assert.ok(Number(d.impression[0]!.text.slice(5)) >= 150, 'a recent version survived');
    // Leftover temp files are hidden and never listed as drafts.
    assert.deepEqual(new DraftStore(crashHome).list().map((s) => s.draftId), [draftId]);
    assert.ok(readdirSync(join(crashHome, 'reports', 'drafts')).every((n) => n === `${draftId}.json` || n.startsWith('.')));
  });
});
