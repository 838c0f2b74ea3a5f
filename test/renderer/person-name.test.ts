// Person Name display rules of the worklist (renderer/worklist/person-name.ts), in plain Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { personNameParts, personNameSearchText } from '../../renderer/worklist/person-name.js';

test('alphabetic and ideographic groups are shown apart, CJK without a space', () => {
  assert.deepEqual(personNameParts('Wang^XiaoDong=王^小东='), { alphabetic: 'Wang XiaoDong', ideographic: '王小东', phonetic: '' });
  assert.deepEqual(personNameParts('Yamada^Tarou=山田^太郎=やまだ^たろう'), { alphabetic: 'Yamada Tarou', ideographic: '山田太郎', phonetic: 'やまだ たろう' });
});

test('single-group, prefixed and empty names', () => {
  assert.equal(personNameParts('Люкceмбypг').alphabetic, 'Люкceмбypг');
  assert.equal(personNameParts('Smith^John^A^Dr^Jr').alphabetic, 'Dr Smith John A Jr');
  assert.deepEqual(personNameParts(''), { alphabetic: '', ideographic: '', phonetic: '' });
  assert.equal(personNameParts('=王^小东').ideographic, '王小东');
});

test('a search finds a name by any of its spellings', () => {
  const hay = personNameSearchText('Wang^XiaoDong=王^小东=');
  assert.ok(hay.includes('王小东'));
  assert.ok(hay.includes('wang xiaodong'));
});
