import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { contentType, resolveStaticPath } from './static.js';
import { uploadSegments } from './uploads.js';

const root = resolve('/srv/amur/dist');

test('app paths resolve inside the bundle, "/" to index.html', () => {
  assert.equal(resolveStaticPath(root, '/'), join(root, 'index.html'));
  assert.equal(resolveStaticPath(root, '/assets/index-abc.js'), join(root, 'assets', 'index-abc.js'));
  assert.equal(resolveStaticPath(root, '/assets/%E4%B8%AD.png'), join(root, 'assets', '中.png'));
});

test('nothing outside the bundle can be named, however it is spelled', () => {
  for (const p of [
    '/../secret', '/assets/../../secret', '/%2e%2e/secret', '/%2E%2E%2Fsecret', '/assets/%2e%2e%2f%2e%2e%2fsecret',
    '/..%5csecret', '/a\\..\\..\\secret', '/C:/Windows/win.ini', '/%00', '/assets/%E0%A4%A', 'relative', '/./index.html',
  ]) {
    assert.equal(resolveStaticPath(root, p), undefined, p);
  }
});

test('content types are explicit (with nosniff, a wrong type would break the app)', () => {
  assert.equal(contentType('/x/index.html'), 'text/html; charset=utf-8');
  assert.equal(contentType('/x/a.js'), 'text/javascript; charset=utf-8');
  // pdf.js's worker is a module script (assets/pdf.worker.min-*.mjs): a module worker needs a JavaScript type.
  assert.equal(contentType('/x/assets/pdf.worker.min-abc.mjs'), 'text/javascript; charset=utf-8');
  assert.equal(contentType('/x/a.wasm'), 'application/wasm');
  assert.equal(contentType('/x/a.unknown'), 'application/octet-stream');
});

test('uploaded file names keep their folders but cannot leave the batch', () => {
  assert.deepEqual(uploadSegments(encodeURIComponent('study/series 1/IM0001.dcm')), ['study', 'series 1', 'IM0001.dcm']);
  assert.deepEqual(uploadSegments(encodeURIComponent('王小东.dcm')), ['王小东.dcm']);
  assert.deepEqual(uploadSegments(encodeURIComponent('a\\b.dcm')), ['a', 'b.dcm']);
  for (const bad of ['../x.dcm', 'a/../../x', './x', 'C:/x', 'a\0b', '', '%E0%A4%A']) {
    assert.equal(uploadSegments(bad.startsWith('%') ? bad : encodeURIComponent(bad)), undefined, bad);
  }
  assert.equal(uploadSegments(undefined), undefined);
});
