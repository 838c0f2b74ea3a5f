import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, type HostMessage } from './wire.js';

test('a message without binary parts is a JSON text frame', () => {
  const msg: HostMessage = { t: 'result', id: 7, value: { PatientName: '王^小东', n: 3 } };
  const enc = encodeMessage(msg);
  assert.equal(typeof enc, 'string');
  assert.deepEqual(decodeMessage(enc), msg);
});

test('typed arrays travel as binary attachments and come back with their type and values', () => {
  const pixels = new Int16Array([-1024, 0, 3071, 42]);
  const odd = new Uint8Array([9, 1, 2, 3, 4]).subarray(1); // a view at an odd offset of its buffer
  const msg: HostMessage = { t: 'result', id: 1, value: { pixels, odd, raw: new Float32Array([1.5]).buffer, label: 'CT' } };
  const enc = encodeMessage(msg);
  assert.ok(enc instanceof Uint8Array);
  assert.ok(enc.byteLength < 200, 'pixels are not inflated into JSON');
  const dec = decodeMessage<any>(enc);
  assert.ok(dec.value.pixels instanceof Int16Array);
  assert.deepEqual([...dec.value.pixels], [-1024, 0, 3071, 42]);
  assert.deepEqual([...dec.value.odd], [1, 2, 3, 4]);
  assert.ok(dec.value.raw instanceof ArrayBuffer);
  assert.equal(new Float32Array(dec.value.raw)[0], 1.5);
  assert.equal(dec.value.label, 'CT');
});

test('a frame whose lengths do not add up is refused', () => {
  const enc = encodeMessage({ t: 'result', id: 1, value: new Uint8Array(100) }) as Uint8Array;
  assert.throws(() => decodeMessage(enc.subarray(0, enc.byteLength - 10)));
  const bad = new Uint8Array(8);
  new DataView(bad.buffer).setUint32(0, 1000, true);
  assert.throws(() => decodeMessage(bad));
});
