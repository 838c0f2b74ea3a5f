// The multipart reader against what a WADO-RS answer can look like on the wire: any chunking,
// a preamble and an epilogue, a quoted boundary, bodies that contain CRLF and boundary-like bytes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { boundaryOf, MultipartReader, multipartBody } from './multipart.js';

function readAll(body: Buffer, boundary: string, sizes: (i: number) => number) {
  const r = new MultipartReader(boundary);
  const parts = [];
  for (let i = 0, n = 0; i < body.length; n++) {
    const size = Math.max(1, sizes(n));
    parts.push(...r.push(body.subarray(i, i + size)));
    i += size;
  }
  return { parts, finished: r.finished };
}

test('boundary from a Content-Type, quoted or not', () => {
  assert.equal(boundaryOf('multipart/related; type="application/dicom"; boundary=abc123'), 'abc123');
  assert.equal(boundaryOf('multipart/related; boundary="a b:c"; type="application/dicom"'), 'a b:c');
  assert.equal(boundaryOf('application/dicom'), undefined);
});

test('every chunking gives the same parts, byte for byte', () => {
  const boundary = 'XyZ-42';
  const bodies = [randomBytes(5000), Buffer.from('\r\n--XyZ-4 not quite\r\n--XyZ-42x'), Buffer.alloc(0), randomBytes(70_000)];
  const wire = Buffer.concat([
    Buffer.from('preamble to be ignored\r\n'),
    multipartBody(boundary, bodies.map((b) => ({ contentType: 'application/dicom', body: b }))),
    Buffer.from('epilogue'),
  ]);
  for (const sizes of [() => wire.length, () => 1, () => 7, (n: number) => (n * 7919) % 1500, () => 4096]) {
    const { parts, finished } = readAll(wire, boundary, sizes);
    assert.ok(finished);
    assert.equal(parts.length, bodies.length);
    parts.forEach((p, i) => {
      assert.ok(p.body.equals(bodies[i]!), `part ${i}`);
      assert.equal(p.headers['content-type'], 'application/dicom');
    });
  }
});

test('a stream cut before the closing delimiter is not finished and keeps the last part back', () => {
  const wire = multipartBody('b', [{ contentType: 'application/dicom', body: Buffer.from('one') }, { contentType: 'application/dicom', body: Buffer.from('two') }]);
  const cut = wire.subarray(0, wire.length - 10);
  const r = new MultipartReader('b');
  const parts = r.push(cut);
  assert.deepEqual(parts.map((p) => p.body.toString()), ['one']);
  assert.equal(r.finished, false);
});
