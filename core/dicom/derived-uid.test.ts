// UIDs Amur derives for files without a usable one: real UIDs (PS3.5 9.1, the 2.25 UUID form of
// B.2), the same for the same input, different for anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { derivedUid, isValidUid } from './derived-uid.js';

test('a UID is digits in dot-separated components without leading zeros, at most 64 characters', () => {
  for (const ok of ['1.2.840.10008.1.2.1', '0', '1.0.3', '2.25.329800735698586629295641978511506172918', '1.'.repeat(31) + '1']) {
    assert.ok(isValidUid(ok), ok);
  }
  for (const bad of ['', '1.2.abc.3', '1.2.840.0113654.2', '01.2', '1..2', '1.2.', '.1.2', '1.2 .3', '1.2-3', '1.'.repeat(32) + '1']) {
    assert.ok(!isValidUid(bad), bad);
  }
});

test('a derived UID is a valid 2.25 UID of a version 8 UUID, the same for the same parts', () => {
  const a = derivedUid('series-invalid', ['1.2.3', '1.2.abc']);
  assert.match(a, /^2\.25\.[1-9]\d*$/);
  assert.ok(isValidUid(a) && a.length <= 64, a);
  assert.equal(derivedUid('series-invalid', ['1.2.3', '1.2.abc']), a);
  const hex = BigInt(a.slice(5)).toString(16).padStart(32, '0');
  assert.equal(hex[12], '8', 'version 8');
  assert.ok('89ab'.includes(hex[16]), 'variant 10xx');
});

test('different kinds, parts or part boundaries give different UIDs', () => {
  const uids = [
    derivedUid('study', ['a', 'bc']),
    derivedUid('study', ['ab', 'c']),
    derivedUid('series', ['a', 'bc']),
    derivedUid('study', ['a', 'bc', undefined]),
  ];
  assert.equal(new Set(uids).size, 4);
  // Bytes and the same text hash alike: a part is its bytes.
  assert.equal(derivedUid('study', ['a', Uint8Array.of(0x62, 0x63)]), uids[0]);
});
