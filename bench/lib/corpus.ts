// The files a benchmark reads: listing a folder, and making a larger corpus out of one real study.
// The larger corpus is the 28-slice GE head CT from the shared data copied N times, each copy given
// fresh Study/Series/SOP Instance UIDs and its own PatientID by dcmtk's dcmodify, so that an importer
// that deduplicates by SOPInstanceUID really stores every copy and the catalogue sees N studies.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runChecked } from './process.js';

export interface CorpusInfo {
  name: string;
  /** Folder every tool is pointed at; it holds nothing but the corpus. */
  dir: string;
  files: number;
  bytes: number;
  description: string;
}

/** Every regular file under dir, sorted so that every tool sees them in the same order. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export function describeCorpus(name: string, dir: string, description: string): CorpusInfo {
  const files = listFiles(dir);
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  return { name, dir, files: files.length, bytes, description };
}

/** A DICOM UID from a random UUID under the 2.25 root (PS3.5 B.2): unique without a registered root. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString(10)}`;
}

/**
 * Makes (or reuses) `copies` copies of one series folder under dest, each a new study. A stamp file
 * beside dest (not inside it: the corpus folder must hold only DICOM) records what was made, so a
 * second run with the same settings reuses the files instead of spending a minute rewriting them.
 */
export async function makeCopiedStudyCorpus(srcDir: string, copies: number, dest: string): Promise<void> {
  const stamp = `${dest}.json`;
  const sources = listFiles(srcDir);
  const want = JSON.stringify({ srcDir: basename(srcDir), sources: sources.map((f) => basename(f)), copies });
  if (existsSync(stamp) && existsSync(dest) && readFileSync(stamp, 'utf8') === want) return;
  rmSync(stamp, { force: true });
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const width = String(copies).length;
  for (let i = 1; i <= copies; i++) {
    const id = String(i).padStart(width, '0');
    const studyDir = join(dest, `study-${id}`);
    mkdirSync(studyDir);
    const targets = sources.map((f) => {
      const t = join(studyDir, basename(f));
      copyFileSync(f, t);
      chmodSync(t, 0o644); // the shared data are read-only; dcmodify rewrites in place
      return t;
    });
    // One Study and Series UID per copy (dcmodify's -gst/-gse would give every file its own study),
    // a new SOP Instance UID per file (-gin also rewrites MediaStorageSOPInstanceUID in the meta header).
    await runChecked('dcmodify', [
      '-nb', '-gin',
      '-m', `(0020,000D)=${newUid()}`,
      '-m', `(0020,000E)=${newUid()}`,
      '-m', `(0010,0020)=BENCH-${id}`,
      ...targets,
    ], { timeoutMs: 120_000 });
  }
  writeFileSync(stamp, want);
}

/**
 * Makes (or reuses) one series of `count` instances cycled from the slices in srcDir: one Study and
 * Series UID for all, a new SOP Instance UID and an Instance Number 1..count for each, and the
 * given attributes (dcmodify -i "(gggg,eeee)=value") on every file. A stamp beside dest records the
 * recipe and the UIDs, so a second run with the same recipe reuses the files.
 */
export async function makeSeriesFromSlices(
  srcDir: string,
  count: number,
  dest: string,
  attributes: string[] = [],
): Promise<{ study: string; series: string }> {
  const stamp = `${dest}.json`;
  const sources = listFiles(srcDir);
  const recipe = { src: basename(srcDir), sources: sources.map((f) => basename(f)), count, attributes };
  if (existsSync(stamp) && existsSync(dest)) {
    const s = JSON.parse(readFileSync(stamp, 'utf8')) as { recipe: unknown; study: string; series: string };
    if (JSON.stringify(s.recipe) === JSON.stringify(recipe) && listFiles(dest).length === count) return { study: s.study, series: s.series };
  }
  rmSync(stamp, { force: true });
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const study = newUid();
  const series = newUid();
  const targets: string[] = [];
  for (let i = 0; i < count; i++) {
    const t = join(dest, `slice-${String(i + 1).padStart(4, '0')}.dcm`);
    copyFileSync(sources[i % sources.length], t);
    chmodSync(t, 0o644); // the shared data are read-only; dcmodify rewrites in place
    targets.push(t);
  }
  // One dcmodify for what every file shares (-gin: a new SOP Instance UID each, meta header too)...
  await runChecked('dcmodify', [
    '-nb', '-gin',
    '-i', `(0020,000D)=${study}`,
    '-i', `(0020,000E)=${series}`,
    ...attributes.flatMap((a) => ['-i', a]),
    ...targets,
  ], { timeoutMs: 300_000 });
  // ...then one per file for its Instance Number.
  const batch = 8;
  for (let i = 0; i < targets.length; i += batch) {
    await Promise.all(targets.slice(i, i + batch).map((t, k) => runChecked('dcmodify', ['-nb', '-i', `(0020,0013)=${i + k + 1}`, t], { timeoutMs: 60_000 })));
  }
  writeFileSync(stamp, JSON.stringify({ recipe, study, series }));
  return { study, series };
}

/** Small DICOM objects of the shared data (4 KB to 76 KB: SR, SEG, CT, MR, JPEG-LS multi-frame) the mixed corpus is made of. */
const MIXED_DICOM_SOURCES = [
  ['dcmjs', 'test', 'sample-sr.dcm'],
  ['dcmjs', 'examples', 'data', 'structured_report.dcm'],
  ['dicomweb-client', 'testData', 'sample.dcm'],
  ['dcmjs', 'examples', 'data', 'QIICR_Test3', 'tumor_User1_Manual_Trial1.dcm'],
  ['dicomParser', 'testImages', 'encapsulated', 'multi-frame', 'CT0012.fragmented_no_bot_jpeg_ls.81.dcm'],
  ['dcmjs', 'examples', 'data', 'IM-0001-0001.dcm'],
];

/**
 * Makes (or reuses) a folder as a user's export or a portal's download looks: `studies` study
 * folders, each with `perStudy` small DICOM files (cycled from MIXED_DICOM_SOURCES under sharedDicom,
 * every file a new SOP Instance and Series UID by dcmodify, one new Study UID and PatientID per
 * folder) beside notes, JSON sidecars, PNG thumbnails, CSV and HTML files (`otherPerStudy` of them,
 * 0.3 KB to 40 KB, contents fixed by their index) in nested folders. The importer has to find the
 * DICOM among them and reject the rest, as it would in a real download.
 */
export async function makeMixedCorpus(sharedDicom: string, studies: number, perStudy: number, otherPerStudy: number, dest: string): Promise<void> {
  const stamp = `${dest}.json`;
  const want = JSON.stringify({ recipe: 'mixed-1', sources: MIXED_DICOM_SOURCES.map((s) => s.join('/')), studies, perStudy, otherPerStudy });
  if (existsSync(stamp) && existsSync(dest) && readFileSync(stamp, 'utf8') === want) return;
  rmSync(stamp, { force: true });
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const { PNG } = await import('pngjs');
  const sources = MIXED_DICOM_SOURCES.map((s) => join(sharedDicom, ...s));
  const width = String(studies).length;
  let n = 0;
  for (let i = 1; i <= studies; i++) {
    const id = String(i).padStart(width, '0');
    const studyDir = join(dest, `case-${id}`);
    const imageDir = join(studyDir, 'DICOM', 'images');
    mkdirSync(imageDir, { recursive: true });
    const targets: string[] = [];
    for (let k = 0; k < perStudy; k++) {
      const t = join(imageDir, `IM${String(k + 1).padStart(4, '0')}`);
      copyFileSync(sources[(i + k) % sources.length], t);
      chmodSync(t, 0o644); // the shared data are read-only; dcmodify rewrites in place
      targets.push(t);
    }
    await runChecked('dcmodify', [
      '-nb', '-gin', '-gse',
      '-m', `(0020,000D)=${newUid()}`,
      '-m', `(0010,0020)=MIXED-${id}`,
      ...targets,
    ], { timeoutMs: 120_000 });
    for (let k = 0; k < otherPerStudy; k++, n++) {
      const kind = n % 6;
      const sub = join(studyDir, ['notes', 'meta', 'thumbs', 'export/tables', 'viewer/html', 'thumbs/large'][kind]);
      mkdirSync(sub, { recursive: true });
      const line = `case ${id} item ${k}: lorem ipsum dolor sit amet, consectetur adipiscing elit ${n}\n`;
      if (kind === 0) writeFileSync(join(sub, `note-${k}.txt`), line.repeat(4 + (n % 40)));
      else if (kind === 1) writeFileSync(join(sub, `item-${k}.json`), JSON.stringify({ case: id, item: k, values: Array.from({ length: 20 + (n % 200) }, (_, j) => j * n) }));
      else if (kind === 3) writeFileSync(join(sub, `table-${k}.csv`), Array.from({ length: 10 + (n % 100) }, (_, j) => `${j},${n},${id},${j * k}`).join('\n'));
      else if (kind === 4) writeFileSync(join(sub, `page-${k}.html`), `<!doctype html><html><body><p>${line.repeat(3 + (n % 30))}</p></body></html>`);
      else {
        // A thumbnail: noise-free gradients compress well, so these stay small (a few KB to ~40 KB).
        const side = kind === 5 ? 96 + (n % 64) : 32 + (n % 32);
        const png = new PNG({ width: side, height: side });
        for (let p = 0; p < side * side; p++) {
          png.data[p * 4] = (p * 7 + n) & 0xff;
          png.data[p * 4 + 1] = (p >> 3) & 0xff;
          png.data[p * 4 + 2] = (n * 13) & 0xff;
          png.data[p * 4 + 3] = 0xff;
        }
        writeFileSync(join(sub, `thumb-${k}.png`), PNG.sync.write(png));
      }
    }
  }
  writeFileSync(stamp, want);
}
