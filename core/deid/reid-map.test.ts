import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { randomUid, ReidMap } from './reid-map.js';

const UID = /^2\.25\.(0|[1-9]\d*)$/;

test('new UIDs are 2.25 UIDs of at most 64 characters', () => {
  for (let i = 0; i < 50; i++) {
    const u = randomUid();
    assert.match(u, UID);
    assert.ok(u.length <= 64);
  }
});

test('the map is consistent per agreement, reversible, and survives reopening', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amur-reid-'));
  try {
    const path = join(dir, 'reid.sqlite');
    let map = new ReidMap(path);
    const a = map.uid('GZ-1', '1.2.3.4');
    assert.match(a, UID);
    assert.equal(map.uid('GZ-1', '1.2.3.4'), a);
    assert.notEqual(map.uid('GZ-1', '1.2.3.5'), a);
    const other = map.uid('SH-2', '1.2.3.4');
    assert.notEqual(other, a, 'another agreement gets another UID');
    assert.equal(map.reverseUid('GZ-1', a), '1.2.3.4');
    assert.equal(map.reverseUid('SH-2', a), undefined);

    const p = map.pseudonym('GZ-1', 'P123', 'HOSP');
    assert.equal(p.PatientID, 'AMUR-GZ-1-1');
    assert.ok(p.dateOffsetDays < 0 && p.dateOffsetDays >= -3650);
    assert.deepEqual(map.pseudonym('GZ-1', 'P123', 'HOSP'), p);
    const q = map.pseudonym('GZ-1', 'P123', 'OTHER');
    assert.notEqual(q.PatientID, p.PatientID, 'the issuer is part of the identity');
    map.recordStudy('GZ-1', a, { StudyInstanceUID: '1.2.3.4', PatientName: '王^小东', PatientID: 'P123' });
    map.recordStudy('GZ-1', a, { StudyInstanceUID: 'ignored' });
    map.close();

    map = new ReidMap(path);
    assert.equal(map.uid('GZ-1', '1.2.3.4'), a);
    assert.equal(map.reverseUid('GZ-1', a), '1.2.3.4');
    assert.deepEqual(map.pseudonym('GZ-1', 'P123', 'HOSP'), p);
    assert.deepEqual(map.original('GZ-1', a), { StudyInstanceUID: '1.2.3.4', PatientName: '王^小东', PatientID: 'P123' });
    assert.equal(map.original('SH-2', a), undefined);
    assert.equal(map.pseudonym('GZ-1', 'P999').PatientID, 'AMUR-GZ-1-3');
    map.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
