import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { readSource } from '../../core/vault/file-cipher.js';
import { UploadArea } from './uploads.js';

const home = mkdtempSync(join(tmpdir(), 'amur-'));
after(() => rmSync(home, { recursive: true, force: true }));

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split(sep).join('/'))
    .sort();
}

test('a batch keeps the uploaded tree, renames clashes, imports once and is removed', async () => {
  const area = new UploadArea(home);
  const batch = area.newBatch();
  await area.receive(batch, ['CT', 'IM1.dcm'], Readable.from([Buffer.from('one')]));
  await area.receive(batch, ['CT', 'IM1.dcm'], Readable.from([Buffer.from('two')]));
  await area.receive(batch, ['notes.txt'], Readable.from([Buffer.from('x')]));
  const dir = area.dir(batch);
  assert.deepEqual(listFiles(dir), ['CT/IM1.dcm', 'CT/IM1.dcm~2', 'notes.txt']);
  // Sealed as they arrive, each bound to its name below the batch: nothing lies there in clear.
  const second = join(dir, 'CT', 'IM1.dcm~2');
  assert.ok(!readFileSync(second).includes(Buffer.from('two')), 'the upload is not on disk in clear');
  assert.equal((await readSource({ path: second, key: area.key, context: 'CT/IM1.dcm~2' })).toString('utf8'), 'two', 'the first file was not overwritten');
  await assert.rejects(readSource({ path: second, key: area.key, context: 'CT/IM1.dcm' }), /vault|damaged|key/i);

  const summary = await area.importBatch(batch, async (folder, key) => {
    assert.equal(folder, dir);
    assert.equal(key, area.key);
    return {
      imported: 2, duplicates: 0, studies: ['1.2'],
      rejected: [{ path: join(dir, 'notes.txt'), code: 'dicom.notDicom', reason: `${join(dir, 'notes.txt')}: not a DICOM file` }],
    };
  });
  assert.deepEqual(summary.rejected, [{ path: 'notes.txt', code: 'dicom.notDicom', reason: 'notes.txt: not a DICOM file' }]);
  assert.equal(existsSync(dir), false, 'the uploaded copies are gone once imported');
  assert.equal(area.has(batch), false, 'a batch is imported once');
  area.close();
  assert.equal(existsSync(area.root), false);
});

test('the batch is removed even when the import fails', async () => {
  const area = new UploadArea(home);
  const batch = area.newBatch();
  await area.receive(batch, ['a.dcm'], Readable.from([Buffer.from('a')]));
  await assert.rejects(area.importBatch(batch, async () => { throw new Error('store unavailable'); }), /store unavailable/);
  assert.equal(existsSync(area.dir(batch)), false);
  area.close();
});
