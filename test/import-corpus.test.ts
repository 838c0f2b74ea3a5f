// Imports every file of the shared corpus (../shared/dicom) and of Debian's python3-pydicom test data
// through the real `amur import` command into a fresh AMUR_HOME, and checks the catalogue the way a
// radiologist would: every study a reference toolkit finds in the same files is there, with the same
// Patient Name (= groups and all), the same UIDs, and the same numbers of series and instances.
// The reference is dcmtk's dcmdump (pydicom where dcmdump cannot read or convert a file; see
// test/dcmdump.ts). Every rejected file must be listed below with the reason; re-importing stores
// nothing twice; a DICOMDIR and a zip archive of the same files import the same studies.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dcmdump, isCharsetConversionFailure, pydicomRead, type ReferenceResult } from './dcmdump.js';
import { PYDICOM_DATA, REPO_ROOT, SHARED, shared } from './shared-data.js';

const AMUR = join(REPO_ROOT, 'bin', 'amur.js');
const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

/** Files that must be rejected, by path relative to the corpus roots, with why. */
const EXPECTED_REJECTIONS: Record<string, string> = {
  'pydicom/test_files/README.txt': 'a text file',
  'pydicom/test_files/dicomdirtests/README.txt': 'a text file',
  'pydicom/test_files/dicomdirtests/TINY_ALPHA/README': 'a text file',
  'pydicom/test_files/rtplan.dump': 'a text dump of rtplan.dcm',
  'pydicom/test_files/rtstruct.dump': 'a text dump of rtstruct.dcm',
  'pydicom/test_files/test1.json': 'DICOM JSON, not a DICOM file',
  'pydicom/test_files/test_PN.json': 'DICOM JSON, not a DICOM file',
  'pydicom/test_files/zipMR.gz': 'a gzip file (only zip archives are unpacked)',
  'pydicom/charset_files/FileInfo.txt': 'a text file',
  'pydicom/test_files/no_meta.dcm': 'a data set preceded by a stray 0x20 byte; dcmdump and pydicom cannot read it either',
  'pydicom/test_files/MR_truncated.dcm': 'Pixel Data declares 8192 bytes the file does not have (dcmdump: "larger than remaining bytes")',
  'pydicom/test_files/rtplan_truncated.dcm': 'cut inside the header (dcmdump: "IsocenterPosition larger (50) than remaining bytes (29)")',
  // Fragments made to test parsers, not instances: no SOP Instance UID (checked against the reference below).
  'pydicom/test_files/UN_sequence.dcm': 'a sequence fragment without SOP Common',
  'pydicom/test_files/priv_SQ.dcm': 'a private-sequence fragment',
  'pydicom/test_files/nested_priv_SQ.dcm': 'a nested private-sequence fragment',
  'pydicom/test_files/empty_charset_LEI.dcm': 'a character-set fragment',
  'pydicom/test_files/meta_missing_tsyntax.dcm': 'a fragment whose meta lacks the transfer syntax',
  'pydicom/test_files/no_meta_group_length.dcm': 'an RT Image fragment without SOP Common',
  'pydicom/charset_files/chrSQEncoding.dcm': 'a character-set fragment with one sequence',
  'pydicom/charset_files/chrSQEncoding1.dcm': 'a character-set fragment with one sequence',
};
/** The shared corpus keeps its provenance notes beside the files; they are text, and rejected as such. */
const DOCUMENTATION = /\/(LICENSE|SOURCE\.md|README\.md|MANIFEST\.tsv)$|\.xml$/;

interface RefInstance {
  file: string;
  SOPInstanceUID: string;
  StudyInstanceUID: string;
  SeriesInstanceUID: string;
  PatientName: string;
  PatientID: string;
}

interface Corpus {
  root: string;
  key: string;
}

const CORPORA: Corpus[] = [
  { root: join(SHARED, 'dicom'), key: 'shared/dicom' },
  { root: join(PYDICOM_DATA, 'test_files'), key: 'pydicom/test_files' },
  { root: join(PYDICOM_DATA, 'charset_files'), key: 'pydicom/charset_files' },
];

function keyOf(file: string): string {
  for (const c of CORPORA) if (file.startsWith(c.root + '/')) return `${c.key}/${relative(c.root, file)}`;
  return file;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/** Text as the catalogue stores it: the reference's value without trailing padding. */
const clean = (v: string | undefined) => (v ?? '').replace(/[\0 ]+$/, '');

/** What the reference toolkits read from each file: an instance, a directory, or nothing usable. */
function referenceRead(files: string[]): Map<string, RefInstance | 'directory' | { unreadable: string }> {
  const results = new Map<string, ReferenceResult>();
  const needPydicom: string[] = [];
  const nameFromPydicom = new Set<string>();
  for (const f of files) {
    let r = dcmdump(f);
    if (!r.ok && isCharsetConversionFailure(r.error)) {
      // dcmtk reads the file but cannot convert its character set: UIDs from dcmdump, the name from pydicom.
      r = dcmdump(f, false);
      nameFromPydicom.add(f);
    }
    if (!r.ok) needPydicom.push(f);
    results.set(f, r);
  }
  const py = pydicomRead([...needPydicom, ...nameFromPydicom], ['SOPInstanceUID', 'StudyInstanceUID', 'SeriesInstanceUID', 'PatientName', 'PatientID']);
  const out = new Map<string, RefInstance | 'directory' | { unreadable: string }>();
  for (const f of files) {
    let r = results.get(f)!;
    if (!r.ok) r = py.get(f)!;
    if (!r.ok) {
      out.set(f, { unreadable: r.error });
      continue;
    }
    const v = r.read.values;
    if (r.read.mediaStorageSOPClassUID === MEDIA_STORAGE_DIRECTORY) {
      out.set(f, 'directory');
      continue;
    }
    let PatientName = clean(v.get('00100010'));
    if (nameFromPydicom.has(f)) {
      const p = py.get(f)!;
      assert.ok(p.ok, `pydicom reads ${f}`);
      PatientName = clean(p.read.values.get('00100010'));
    }
    const inst = {
      file: f,
      SOPInstanceUID: clean(v.get('00080018')),
      StudyInstanceUID: clean(v.get('0020000D')),
      SeriesInstanceUID: clean(v.get('0020000E')),
      PatientName,
      PatientID: clean(v.get('00100020')),
    };
    if (!inst.SOPInstanceUID || !inst.StudyInstanceUID || !inst.SeriesInstanceUID) out.set(f, { unreadable: 'no SOP/Study/Series Instance UID' });
    else out.set(f, inst);
  }
  return out;
}

interface ImportJson {
  imported: number;
  duplicates: number;
  rejected: { path: string; reason: string }[];
  studies: string[];
}

function amur(home: string, args: string[]): string {
  const r = spawnSync(process.execPath, [AMUR, ...args], {
    encoding: 'utf8', env: { ...process.env, AMUR_HOME: home, AMUR_LANG: 'en' }, maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, `amur ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const importJson = (home: string, paths: string[], ...extra: string[]): ImportJson =>
  JSON.parse(amur(home, ['import', ...paths, '--json', ...extra]));
const studiesJson = (home: string): any[] => JSON.parse(amur(home, ['studies', '--json']));

/** The studies the reference finds among some files, as the catalogue should show them. */
function expectedStudies(instances: RefInstance[]) {
  const by = new Map<string, { sops: Set<string>; series: Set<string>; names: Set<string>; ids: Set<string> }>();
  for (const i of instances) {
    let s = by.get(i.StudyInstanceUID);
    if (!s) by.set(i.StudyInstanceUID, (s = { sops: new Set(), series: new Set(), names: new Set(), ids: new Set() }));
    s.sops.add(i.SOPInstanceUID);
    s.series.add(i.SeriesInstanceUID);
    s.names.add(i.PatientName);
    s.ids.add(i.PatientID);
  }
  return by;
}

/** Differences between the catalogue and the reference, one line each (empty when they agree). */
function compareStudies(catalogue: any[], instances: RefInstance[]): string[] {
  const problems: string[] = [];
  const want = expectedStudies(instances);
  const got = new Map(catalogue.map((s) => [s.StudyInstanceUID, s]));
  for (const [uid, w] of want) {
    const s = got.get(uid);
    if (!s) {
      problems.push(`study ${uid} missing`);
      continue;
    }
    // Copies of one instance in several files (one image in many transfer syntaxes) carry the same
    // name; where test files of one study disagree, the catalogue keeps one of their names.
    if (!w.names.has(s.PatientName)) problems.push(`${uid}: PatientName ${JSON.stringify(s.PatientName)}, reference ${JSON.stringify([...w.names])}`);
    if (!w.ids.has(s.PatientID)) problems.push(`${uid}: PatientID ${JSON.stringify(s.PatientID)}, reference ${JSON.stringify([...w.ids])}`);
    if (s.NumberOfStudyRelatedInstances !== w.sops.size) problems.push(`${uid}: ${s.NumberOfStudyRelatedInstances} instances, reference ${w.sops.size}`);
    if (s.NumberOfStudyRelatedSeries !== w.series.size) problems.push(`${uid}: ${s.NumberOfStudyRelatedSeries} series, reference ${w.series.size}`);
  }
  for (const uid of got.keys()) if (!want.has(uid)) problems.push(`study ${uid} in the catalogue, not in the reference`);
  return problems;
}

function within(dir: string) {
  return (i: RefInstance) => i.file.startsWith(dir + '/');
}

describe('amur import over the real corpora', () => {
  const homes: string[] = [];
  const newHome = () => {
    const h = mkdtempSync(join(tmpdir(), 'amur-'));
    homes.push(h);
    return h;
  };
  let files: string[];
  let reference: ReturnType<typeof referenceRead>;
  let instances: RefInstance[];
  let home: string;
  let first: ImportJson;

  before(() => {
    shared('dicom');
    files = CORPORA.flatMap((c) => listFiles(c.root));
    reference = referenceRead(files);
    // pydicom reads the two truncated files' headers; they are rejected all the same (see the list).
    instances = [...reference.values()].filter(
      (r): r is RefInstance => typeof r === 'object' && 'SOPInstanceUID' in r && !(keyOf(r.file) in EXPECTED_REJECTIONS),
    );
    home = newHome();
    first = importJson(home, CORPORA.map((c) => c.root));
  });
  after(() => {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  test('the reference finds a corpus worth the name', () => {
    assert.ok(files.length > 250, `${files.length} files`);
    assert.ok(instances.length > 200, `${instances.length} instances`);
  });

  test('every rejection is expected, names its file, and is what the reference also cannot file', () => {
    const rejected = new Map(first.rejected.map((r) => [keyOf(r.path), r.reason]));
    const problems: string[] = [];
    for (const [key, reason] of rejected) {
      const expected = EXPECTED_REJECTIONS[key] ?? (DOCUMENTATION.test(key) ? 'documentation beside the test files' : undefined);
      if (!expected) problems.push(`${key} rejected unexpectedly: ${reason}`);
      if (!reason.includes(basename(key))) problems.push(`${key}: the reason does not name the file: ${reason}`);
    }
    for (const f of files) {
      const key = keyOf(f);
      const ref = reference.get(f)!;
      const listed = key in EXPECTED_REJECTIONS || DOCUMENTATION.test(key);
      if (listed && !rejected.has(key)) problems.push(`${key} should have been rejected (${EXPECTED_REJECTIONS[key] ?? 'documentation'})`);
      // What the reference cannot file as an instance must be rejected (or be a directory, an index).
      if (ref !== 'directory' && 'unreadable' in ref && !rejected.has(key)) problems.push(`${key}: reference cannot file it (${ref.unreadable}) but it was not rejected`);
      if (ref === 'directory' && rejected.has(key)) problems.push(`${key}: a DICOMDIR is an index, not a rejected file`);
    }
    assert.deepEqual(problems, []);
  });

  test('counts: every instance the reference reads is imported once, copies of one SOP Instance UID as duplicates', () => {
    const distinct = new Set(instances.map((i) => i.SOPInstanceUID));
    assert.equal(first.imported, distinct.size);
    assert.equal(first.imported + first.duplicates, instances.length);
    assert.deepEqual(new Set(first.studies), new Set(instances.map((i) => i.StudyInstanceUID)));
  });

  test('amur studies --json agrees with the reference on names, UIDs and counts', () => {
    const catalogue = studiesJson(home);
    assert.deepEqual(compareStudies(catalogue, instances), []);
    for (const s of catalogue) {
      for (const k of ['StudyInstanceUID', 'PatientName', 'PatientID', 'StudyDate', 'StudyDescription', 'ModalitiesInStudy']) {
        assert.equal(typeof s[k], 'string', `${k} of ${s.StudyInstanceUID}`);
      }
    }
    // The names a reader checks first: GB18030 Chinese with its = groups, and Cyrillic.
    const names = catalogue.map((s) => s.PatientName);
    assert.ok(names.includes('Wang^XiaoDong=王^小东='), 'chrX2 (GB18030)');
    assert.ok(names.includes('Люкceмбypг'), 'chrRuss (ISO_IR 144)');
  });

  test('the text table aligns its columns by display width, Chinese names included', () => {
    const out = amur(home, ['studies']);
    const lines = out.trimEnd().split('\n');
    assert.ok(lines.length > 10);
    const uids = new Set(studiesJson(home).map((s) => s.StudyInstanceUID as string));
    // The UID column is last: in every row it starts at the same display column.
    const width = (s: string) => [...s].reduce((w, ch) => w + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/.test(ch) ? 2 : 1), 0);
    const starts = new Set(lines.slice(2).map((l) => {
      const uid = l.split(/\s+/).pop()!;
      assert.ok(uids.has(uid), `row ends with a Study Instance UID: ${l}`);
      return width(l.slice(0, l.length - uid.length));
    }));
    assert.equal(starts.size, 1, out);
  });

  test('re-importing stores nothing twice', () => {
    const again = importJson(home, CORPORA.map((c) => c.root));
    assert.equal(again.imported, 0);
    assert.equal(again.duplicates, first.imported + first.duplicates);
    assert.deepEqual(again.rejected.map((r) => r.path), first.rejected.map((r) => r.path));
    assert.deepEqual(compareStudies(studiesJson(home), instances), []);
  });

  test('a DICOMDIR imports the files it references', () => {
    const h = newHome();
    const dicomdirtests = join(PYDICOM_DATA, 'test_files', 'dicomdirtests');
    const r = importJson(h, [join(dicomdirtests, 'DICOMDIR')]);
    // What dcmdump lists as Referenced File IDs is what must be imported.
    const dump = spawnSync('dcmdump', ['+L', '-M', join(dicomdirtests, 'DICOMDIR')], { encoding: 'utf8' }).stdout;
    const refs = [...dump.matchAll(/\(0004,1500\) CS \[([^\]]+)\]/g)].map((m) => join(dicomdirtests, ...m[1].split('\\')));
    assert.ok(refs.length > 10);
    const referenced = instances.filter((i) => refs.includes(i.file));
    assert.equal(referenced.length, refs.length, 'every referenced file is an instance the reference reads');
    assert.deepEqual(r.rejected, []);
    assert.equal(r.imported, new Set(referenced.map((i) => i.SOPInstanceUID)).size);
    assert.deepEqual(compareStudies(studiesJson(h), referenced), []);
  });

  test('the Philips DICOMDIR, whose study records point to further directory files, imports the media', () => {
    const h = newHome();
    const philips = shared('dicom', 'dcm_qa_ct', 'In', 'Philips');
    const r = importJson(h, [join(philips, 'DICOMDIR')], '--source', '哈尔滨医科大学附属第一医院');
    const media = instances.filter(within(philips));
    assert.equal(media.length, 29);
    assert.deepEqual(r.rejected, []);
    assert.equal(r.imported, 29);
    const catalogue = studiesJson(h);
    assert.deepEqual(compareStudies(catalogue, media), []);
    // --source files the studies under that partner hospital.
    assert.deepEqual(catalogue.map((s) => [s.source.kind, s.source.name]), [['partner', '哈尔滨医科大学附属第一医院']]);
  });

  test('a zip of a folder imports the same studies as the folder', () => {
    const h = newHome();
    const zip = join(h, 'dicom.zip');
    const z = spawnSync('zip', ['-q', '-r', zip, 'dicom'], { cwd: dirname(join(SHARED, 'dicom')) });
    assert.equal(z.status, 0, String(z.stderr));
    const r = importJson(h, [zip]);
    const folder = instances.filter(within(join(SHARED, 'dicom')));
    assert.equal(r.imported, new Set(folder.map((i) => i.SOPInstanceUID)).size);
    assert.equal(r.imported + r.duplicates, folder.length);
    // The same files are rejected, named by their place inside the archive.
    const fromFolder = first.rejected.filter((x) => x.path.startsWith(join(SHARED, 'dicom') + '/')).map((x) => relative(SHARED, x.path));
    assert.deepEqual(r.rejected.map((x) => relative(zip, x.path)).sort(), fromFolder.sort());
    assert.deepEqual(compareStudies(studiesJson(h), folder), []);
    // Nothing extracted is left behind.
    assert.deepEqual(readdirSync(join(h, 'store', 'tmp')), []);
  });
});
