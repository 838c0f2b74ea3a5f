import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionFor, DEFAULT_OPTIONS, profileRows, rowFor } from './profile.js';

test('the table holds every row of E.1-1, each with a known action', () => {
  const rows = profileRows();
  assert.ok(rows.length >= 400 && rows.length <= 700, `${rows.length} rows`);
  for (const r of rows) assert.match(r.basic, /^(X|Z|D|U|K|C|X\/Z|X\/D|Z\/D|X\/Z\/D|X\/Z\/U\*)$/, r.tag);
  assert.equal(rowFor('00100010')?.name, "Patient's Name");
  assert.equal(rowFor('00100010')?.basic, 'Z');
  assert.equal(rowFor('0020000d')?.basic, 'U');
});

test('ranges with x wildcards and private tags resolve to their rows', () => {
  assert.equal(rowFor('50001234')?.name, 'Curve Data');
  assert.equal(rowFor('501E0000')?.name, 'Curve Data');
  assert.equal(rowFor('60003000')?.name, 'Overlay Data');
  assert.equal(rowFor('60024000')?.name, 'Overlay Comments');
  assert.equal(rowFor('60000010'), undefined, 'Overlay Rows is not listed');
  assert.equal(rowFor('00091001')?.tag, 'gggg,eeee');
  assert.equal(actionFor('00291010', DEFAULT_OPTIONS), 'X');
  assert.equal(actionFor('00280010', DEFAULT_OPTIONS), undefined, 'Rows is kept');
});

test('options change the actions as the table says', () => {
  // Study Date: Z in the Basic Profile, shifted (C) with Modified Dates, kept with Full Dates.
  assert.equal(actionFor('00080020', []), 'Z');
  assert.equal(actionFor('00080020', ['RetainLongitudinalModifiedDates']), 'C');
  assert.equal(actionFor('00080020', ['RetainLongitudinalFullDates']), 'K');
  // Patient's Sex and Age: emptied / removed, kept with Retain Patient Characteristics.
  assert.equal(actionFor('00100040', []), 'Z');
  assert.equal(actionFor('00100040', ['RetainPatientCharacteristics']), 'K');
  assert.equal(actionFor('00101010', []), 'X');
  assert.equal(actionFor('00101010', DEFAULT_OPTIONS), 'K');
  // Birth Date stays Z whatever the options.
  assert.equal(actionFor('00100030', DEFAULT_OPTIONS), 'Z');
  // Device Serial Number X/Z/D: a dummy; kept with Retain Device Identity.
  assert.equal(actionFor('00181000', DEFAULT_OPTIONS), 'D');
  assert.equal(actionFor('00181000', ['RetainDeviceIdentity']), 'K');
  // Study Description: removed, cleaned with Clean Descriptors.
  assert.equal(actionFor('00081030', []), 'X');
  assert.equal(actionFor('00081030', ['CleanDescriptors']), 'C');
  // Referenced Patient Sequence is removed even when UIDs are retained.
  assert.equal(actionFor('00081120', ['RetainUIDs']), 'X');
  assert.equal(actionFor('00080018', ['RetainUIDs']), 'K');
  assert.equal(actionFor('00081140', DEFAULT_OPTIONS), 'U*');
});
