import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFiles, pathsFromArgv } from './open-files.js';

test('a launch\'s files and folders: after the program (and the entry in development), no switches, made absolute, existing only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amur-open-'));
  try {
    writeFileSync(join(dir, 'IM0001.dcm'), 'x');
    mkdirSync(join(dir, 'CD'));
    const packaged = pathsFromArgv(['/opt/Amur/amur', '--no-sandbox', 'IM0001.dcm', 'CD', 'missing.dcm', '-psn_0_12345', 'IM0001.dcm'], dir, { defaultApp: false });
    assert.deepEqual(packaged, [join(dir, 'IM0001.dcm'), join(dir, 'CD')]);
    // `electron electron/entry.mjs FILE`: the entry is the app, not a file handed over.
    assert.deepEqual(pathsFromArgv(['/usr/bin/electron', join(dir, 'IM0001.dcm'), join(dir, 'CD')], '/', { defaultApp: true }), [join(dir, 'CD')]);
    assert.deepEqual(pathsFromArgv(['/opt/Amur/amur'], dir, { defaultApp: false }), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paths handed over before the services exist wait for them; those that come during an import make the next batch', async () => {
  const batches: string[][] = [];
  let release!: () => void;
  const open = new OpenFiles();
  open.add(['/a', '/b', '/a']);
  assert.equal(batches.length, 0, 'nothing is imported before start');
  open.start(async (paths) => {
    batches.push(paths);
    if (batches.length === 1) await new Promise<void>((r) => { release = r; });
  });
  assert.deepEqual(batches, [['/a', '/b']]);
  open.add(['/c']);
  open.add(['/d']);
  assert.equal(batches.length, 1, 'the second batch waits for the first import');
  release();
  await open.idle();
  assert.deepEqual(batches, [['/a', '/b'], ['/c', '/d']]);
});

test('a failed import of handed-over files does not stop later ones', async () => {
  const batches: string[][] = [];
  const open = new OpenFiles();
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => { written.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    open.start(async (paths) => {
      batches.push(paths);
      if (paths[0] === '/bad') throw Object.assign(new Error('closed'), { code: 'store.closed' });
    });
    open.add(['/bad']);
    await open.idle();
    open.add(['/good']);
    await open.idle();
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(batches, [['/bad'], ['/good']]);
  assert.match(written.join(''), /store\.closed/);
  assert.ok(!written.join('').includes('/bad'), 'the path is not logged');
});
