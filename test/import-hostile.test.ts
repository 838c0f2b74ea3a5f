// Truncated, bit-flipped, garbage and hostile files mixed with good ones, through the real
// `amur import`: every bad file is rejected with a reason that names it, the good ones are imported,
// the command does not crash, and the studies stored before are untouched, byte for byte.
// The damaged files are made at test time from real ones (shared corpus); the only hand-written
// bytes are the deeply nested sequence, commented element by element.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { zipSync } from 'fflate';
import { readDicomHeaderFromFile } from '../core/dicom/header.js';
import { StudyStore } from '../core/store/store.js';
import { PYDICOM_DATA, REPO_ROOT, shared } from './shared-data.js';
import { unlockTestHome } from './vault.js';

const AMUR = join(REPO_ROOT, 'bin', 'amur.js');

let work: string;
let home: string;
let input: string;
/** Files that must be rejected, by name, with what is wrong with them. */
const mustReject = new Map<string, string>();

function amur(args: string[]) {
  const r = spawnSync(process.execPath, [AMUR, ...args], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: home, AMUR_LANG: 'en' } });
  assert.equal(r.status, 0, `amur ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A small deterministic generator, so a failure reproduces with the same bytes. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Explicit VR little endian element with a 2-byte length (PS3.5 7.1.2). */
function el16(group: number, element: number, vr: string, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}
/** Implicit VR little endian element header (PS3.5 7.1.3). */
function implicitHeader(group: number, element: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.writeUInt32LE(length, 4);
  return h;
}
const uid = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');

/** A Part 10 file whose data set nests sequences `depth` deep: built to exhaust a recursive parser's stack. */
function deeplyNested(depth: number): Buffer {
  const preamble = Buffer.alloc(128);
  const meta = Buffer.concat([
    el16(0x0002, 0x0010, 'UI', uid('1.2.840.10008.1.2')), // Transfer Syntax: Implicit VR Little Endian
  ]);
  const groupLength = el16(0x0002, 0x0000, 'UL', Buffer.from([meta.length, meta.length >> 8, 0, 0])); // (0002,0000) UL
  const parts = [preamble, Buffer.from('DICM'), groupLength, meta];
  parts.push(implicitHeader(0x0008, 0x0016, 26), uid('1.2.840.10008.5.1.4.1.1.7')); // SOP Class: Secondary Capture
  parts.push(implicitHeader(0x0008, 0x0018, 14), uid('2.25.666.1.1.1')); // SOP Instance UID
  for (let i = 0; i < depth; i++) {
    parts.push(implicitHeader(0x0040, 0xa730, 0xffffffff)); // Content Sequence, undefined length
    parts.push(implicitHeader(0xfffe, 0xe000, 0xffffffff)); // Item, undefined length
  }
  return Buffer.concat(parts); // no delimiters: the file ends inside the innermost item
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function storedFiles(): Map<string, string> {
  const store = StudyStore.open(home);
  try {
    return new Map(store.allFilePaths().map((r) => [r.SOPInstanceUID, sha(store.absolutePath(r.file_path))]));
  } finally {
    store.close();
  }
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'amur-'));
  home = join(work, 'home');
  await unlockTestHome(home);
  input = join(work, 'input');
  mkdirSync(input);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('bad files are rejected by name, good ones imported, stored studies untouched', async () => {
  // Studies stored earlier: their catalogue rows and file bytes must come through unchanged.
  const earlierDir = shared('dicom', 'dcmjs');
  amur(['import', earlierDir]);
  const earlierStudies = amur(['studies', '--json']);
  const earlierFiles = storedFiles();
  assert.ok(earlierFiles.size >= 8);

  const ct = readFileSync(shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm'));
  const stored = readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-dicom.dcm'));
  const put = (name: string, bytes: Uint8Array, why?: string) => {
    writeFileSync(join(input, name), bytes);
    if (why) mustReject.set(name, why);
  };

  // Truncated at points that cut the preamble, the meta group, an element, and the pixel data (the
  // file ends in 138 bytes of Data Set Trailing Padding after the pixels, so the last cut is before it).
  for (const at of [0, 60, 140, 400, 1000, Math.floor(ct.length / 2), ct.length - 1000]) {
    put(`truncated-${at}.dcm`, ct.subarray(0, at), `cut at byte ${at} of ${ct.length}`);
  }
  // A bit flip that must be caught: the top bit of Pixel Data's 4-byte length (explicit VR OW: tag,
  // VR, 2 reserved bytes, then the length just before the value) claims 2 GiB the file does not have.
  const { pixelDataOffset } = await readDicomHeaderFromFile(shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm'));
  assert.ok(pixelDataOffset);
  const lengthFlip = Buffer.from(ct);
  lengthFlip[pixelDataOffset - 1] ^= 0x80;
  put('flip-pixel-data-length.dcm', lengthFlip, 'Pixel Data length with its top bit flipped');
  // Random flips anywhere in the header: the file may still read (a changed letter in a name) or not;
  // either way each is accounted for, and nothing crashes.
  const random = prng(20261122);
  const randomFlips: string[] = [];
  for (let i = 0; i < 12; i++) {
    const b = Buffer.from(ct);
    for (let k = 0; k < 8; k++) b[Math.floor(random() * 2048)] ^= 1 << Math.floor(random() * 8);
    put(`flip-random-${i}.dcm`, b);
    randomFlips.push(`flip-random-${i}.dcm`);
  }
  // Garbage: empty, zeros, random bytes, a DICM signature followed by noise, text.
  put('empty.dcm', new Uint8Array(0), 'empty file');
  put('zeros.dcm', new Uint8Array(4096), 'all zeros');
  put('noise.dcm', Uint8Array.from({ length: 8192 }, () => Math.floor(random() * 256)), 'random bytes');
  put('dicm-noise.dcm', Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from(Uint8Array.from({ length: 512 }, () => Math.floor(random() * 256)))]), 'signature, then noise');
  put('notes.txt', Buffer.from('Patient called, will bring the CD on Monday.\n'), 'a text file');
  // Hostile: sequences nested 10,000 deep.
  put('nested-10000.dcm', deeplyNested(10_000), 'sequences nested 10,000 deep');
  // A copy of an already stored instance with its pixel data damaged: same SOP Instance UID, so a
  // duplicate; the stored copy must not be replaced by it.
  const damagedCopy = Buffer.from(stored);
  damagedCopy[damagedCopy.length - 10] ^= 0xff;
  put('stored-instance-damaged-pixels.dcm', damagedCopy);
  // Archives: one with an entry whose name climbs out of any folder it is extracted to, and a zip bomb.
  put('traversal.zip', zipSync({ '../../escaped.dcm': new Uint8Array(ct), 'ok/inside.txt': Buffer.from('x') }), 'entry named ../../escaped.dcm');
  put('bomb.zip', zipSync({ 'bomb.dcm': new Uint8Array(64 * 1024 ** 2) }, { level: 9 }), '64 MiB of zeros in a few kB');
  // Good files, which must be imported among all this.
  // (Debian's pydicom character-set samples: no study in common with the ones stored before.)
  const goodDir = join(PYDICOM_DATA, 'charset_files');
  const good = ['chrX1.dcm', 'chrX2.dcm', 'chrRuss.dcm', 'chrGreek.dcm'];
  for (const n of good) put(`good-${n}`, readFileSync(join(goodDir, n)));

  const result = JSON.parse(amur(['import', input, '--json']));
  const rejected = new Map<string, string>(result.rejected.map((r: { path: string; reason: string }) => [basename(r.path), r.reason]));
  const problems: string[] = [];
  for (const [name, why] of mustReject) {
    const reason = [...rejected].find(([k]) => k === name || k.startsWith(`${name}/`))?.[1];
    if (!reason) problems.push(`${name} (${why}) was not rejected`);
    else if (!reason.includes(name)) problems.push(`${name}: reason does not name the file: ${reason}`);
  }
  for (const n of good) if (rejected.has(`good-${n}`)) problems.push(`good-${n} was rejected: ${rejected.get(`good-${n}`)}`);
  for (const [name, reason] of rejected) {
    if (!reason || reason.startsWith('errors.')) problems.push(`${name}: untranslated reason ${reason}`);
  }
  assert.deepEqual(problems, []);
  // Nothing escaped the store's extraction folder.
  assert.equal(existsSync(join(work, 'escaped.dcm')), false);
  assert.equal(existsSync(join(home, 'escaped.dcm')), false);
  assert.equal(existsSync(join(home, 'store', 'escaped.dcm')), false);

  // Every input file has exactly one outcome (each archive here ends in one rejection), and the
  // imported or duplicate ones are the good files, the random flips that still read, and the
  // damaged copy of a stored instance.
  const readable = randomFlips.filter((n) => !rejected.has(n)).length;
  assert.equal(result.imported + result.duplicates + result.rejected.length, readdirSync(input).length);
  assert.equal(result.imported + result.duplicates, good.length + readable + 1);
  const store = StudyStore.open(home);
  try {
    for (const n of good) {
      const { attributes } = await readDicomHeaderFromFile(join(goodDir, n));
      assert.ok(store.instanceFile(attributes.SOPInstanceUID!), `good-${n} is stored`);
    }
  } finally {
    store.close();
  }

  // What was stored before is unchanged, row and bytes.
  const afterStudies = JSON.parse(amur(['studies', '--json'])) as any[];
  for (const s of JSON.parse(earlierStudies) as any[]) {
    assert.deepEqual(afterStudies.find((x) => x.StudyInstanceUID === s.StudyInstanceUID), s);
  }
  const afterFiles = storedFiles();
  for (const [sop, hash] of earlierFiles) assert.equal(afterFiles.get(sop), hash, `stored file of ${sop} unchanged`);
  assert.deepEqual(readdirSync(join(home, 'store', 'tmp')), []);
});
