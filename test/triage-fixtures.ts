// Real chest radiographs turned into DICOM at test time, for the triage tests: the adult NIH PNGs
// (../shared/data/nih-cxr-pneumonia, read with pngjs) and the paediatric Kermany JPEGs
// (../shared/data/kermany-pediatric-train, read by Pillow as the training recipe reads them) are
// written as DICOM by pydicom (Debian's python3-pydicom, run with the system interpreter), in the
// variants the runtime must handle: 8-bit MONOCHROME2 CR, 12-bit-in-16 MONOCHROME1 DX with a
// rescale, and out-of-scope objects (CT, lateral view, no BodyPartExamined, colour, a head CT slice
// labelled as a chest radiograph). Nothing here is hand-written DICOM.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { shared } from './shared-data.js';

export const CXR = () => shared('data', 'nih-cxr-pneumonia');

export interface CxrRow {
  filename: string;
  label: 'pneumonia' | 'normal';
  patient_id: string;
  view: 'AP' | 'PA';
  chexnet_split: 'train' | 'val';
  /** Whole years, as NIH gives it. */
  age: string;
}

/** A row's age as a DICOM Age String (PatientAge, AS): "045Y". */
export function nihPatientAge(row: Pick<CxrRow, 'age'>): string {
  return `${row.age.padStart(3, '0')}Y`;
}

export function cxrRows(): CxrRow[] {
  const [head, ...lines] = readFileSync(join(CXR(), 'labels.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => {
    const v = l.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, v[i]])) as unknown as CxrRow;
  });
}

/** The 8-bit grey pixels of one shared PNG. */
export function readPng(filename: string): { width: number; height: number; grey: Uint8Array } {
  const png = PNG.sync.read(readFileSync(join(CXR(), filename)));
  const grey = new Uint8Array(png.width * png.height);
  // pngjs expands to RGBA; the source is greyscale, so R = G = B.
  for (let i = 0; i < grey.length; i++) grey[i] = png.data[i * 4];
  return { width: png.width, height: png.height, grey };
}

/** The shared folder of a model population's images (manifest "populations"). */
export function populationImage(population: string, filename: string): string {
  if (population === 'adult') return join(CXR(), filename);
  if (population === 'paediatric') return shared('data', 'kermany-pediatric-train', filename);
  throw new Error(`no shared data for population ${population}`);
}

const READ_GREY_PY = `
import struct, sys
import numpy as np
from PIL import Image
out = sys.stdout.buffer
for path in sys.argv[1:]:
    try:
        a = np.asarray(Image.open(path).convert('L'), dtype=np.uint8)
    except Exception:
        # A DICOM image: the first window (or min-max) to 8 bits, MONOCHROME1 inverted.
        import pydicom
        ds = pydicom.dcmread(path)
        v = ds.pixel_array.astype(np.float64) * float(getattr(ds, 'RescaleSlope', 1) or 1) + float(getattr(ds, 'RescaleIntercept', 0) or 0)
        wc, ww = getattr(ds, 'WindowCenter', None), getattr(ds, 'WindowWidth', None)
        if wc is not None and ww is not None:
            wc = float(wc[0] if isinstance(wc, pydicom.multival.MultiValue) else wc)
            ww = float(ww[0] if isinstance(ww, pydicom.multival.MultiValue) else ww)
            v = np.clip((v - (wc - 0.5)) / (ww - 1) + 0.5, 0, 1)
        else:
            v = (v - v.min()) / max(1e-9, v.max() - v.min())
        if getattr(ds, 'PhotometricInterpretation', '') == 'MONOCHROME1':
            v = 1 - v
        a = np.round(v * 255).astype(np.uint8)
    out.write(struct.pack('<II', a.shape[1], a.shape[0]))
    out.write(a.tobytes())
`;

/**
 * The 8-bit grey pixels of image files (PNG, JPEG, or a DICOM image windowed to 8 bits), read by
 * Pillow's 'L' conversion (ITU-R 601 luma), exactly as the training recipe reads them: one Python
 * run for all of them.
 */
export function readGreyImages(paths: string[]): { width: number; height: number; grey: Uint8Array }[] {
  if (paths.length === 0) return [];
  const r = spawnSync('/usr/bin/python3', ['-c', READ_GREY_PY, ...paths], { maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`reading images failed: ${r.stderr?.toString() || r.error}`);
  const buf = r.stdout;
  const out = [];
  let o = 0;
  for (let i = 0; i < paths.length; i++) {
    const width = buf.readUInt32LE(o);
    const height = buf.readUInt32LE(o + 4);
    o += 8;
    out.push({ width, height, grey: new Uint8Array(buf.subarray(o, o + width * height)) });
    o += width * height;
  }
  return out;
}

export interface DicomSpec {
  /** PNG under the shared NIH set (CXR()); or, with `image`, ignored. */
  png: string;
  /** Any image file (absolute path: PNG, JPEG, DICOM), read as grey by readGreyImages. */
  image?: string;
  out: string;
  StudyInstanceUID: string;
  SeriesInstanceUID: string;
  SOPInstanceUID: string;
  PatientID: string;
  Modality: string;
  BodyPartExamined?: string;
  ViewPosition?: string;
  /** Written only when given (e.g. nihPatientAge(row)): the age triage chooses the model population by. */
  PatientAge?: string;
  /** Written only when given: with the study date 20261122, the age when PatientAge is absent. */
  PatientBirthDate?: string;
  /** 'MONOCHROME2-8': stored = PNG value, window 128/256 LINEAR.
   *  'MONOCHROME1-12': stored = (255 - value) * 16 in 16 bits (BitsStored 12), slope 2, intercept -100,
   *  window LINEAR_EXACT centred on the full range: after inversion it is the same image.
   *  'RGB-8': the grey image written as a colour (RGB) image, which triage must refuse. */
  variant: 'MONOCHROME2-8' | 'MONOCHROME1-12' | 'RGB-8';
  /** Enlarge the PNG this many times (bilinear) before writing, for detector-sized images. */
  scale?: number;
}

const PY = `
import json, sys
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
specs = json.load(open(sys.argv[1]))
for s in specs:
    raw = open(s['raw'], 'rb').read()
    meta = FileMetaDataset()
    sop_class = '1.2.840.10008.5.1.4.1.1.1' if s['Modality'] == 'CR' else ('1.2.840.10008.5.1.4.1.1.2' if s['Modality'] == 'CT' else '1.2.840.10008.5.1.4.1.1.1.1')
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = s['SOPInstanceUID']
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = s['SOPInstanceUID']
    ds.StudyInstanceUID = s['StudyInstanceUID']
    ds.SeriesInstanceUID = s['SeriesInstanceUID']
    ds.PatientID = s['PatientID']
    ds.PatientName = 'TEST^' + s['PatientID']
    ds.StudyDate = '20261122'
    ds.Modality = s['Modality']
    if s.get('BodyPartExamined') is not None: ds.BodyPartExamined = s['BodyPartExamined']
    if s.get('ViewPosition') is not None: ds.ViewPosition = s['ViewPosition']
    if s.get('PatientAge') is not None: ds.PatientAge = s['PatientAge']
    if s.get('PatientBirthDate') is not None: ds.PatientBirthDate = s['PatientBirthDate']
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Rows = s['rows']
    ds.Columns = s['cols']
    ds.SamplesPerPixel = 3 if s['variant'] == 'RGB-8' else 1
    ds.PixelRepresentation = 0
    if s['variant'] == 'RGB-8':
        ds.PhotometricInterpretation = 'RGB'
        ds.PlanarConfiguration = 0
        ds.BitsAllocated = 8; ds.BitsStored = 8; ds.HighBit = 7
        ds.PixelData = raw
    elif s['variant'] == 'MONOCHROME2-8':
        ds.PhotometricInterpretation = 'MONOCHROME2'
        ds.BitsAllocated = 8; ds.BitsStored = 8; ds.HighBit = 7
        ds.WindowCenter = 128; ds.WindowWidth = 256
        ds.PixelData = raw
    else:
        ds.PhotometricInterpretation = 'MONOCHROME1'
        ds.BitsAllocated = 16; ds.BitsStored = 12; ds.HighBit = 11
        ds.RescaleSlope = 2; ds.RescaleIntercept = -100
        ds.WindowCenter = 3980; ds.WindowWidth = 8160; ds.VOILUTFunction = 'LINEAR_EXACT'
        ds.PixelData = raw  # already (255 - value) * 16, 16-bit little endian (written by Node)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(s['out'], write_like_original=False)
`;

/** Writes the DICOM files (one pydicom run for all of them). */
export function makeDicoms(specs: DicomSpec[], workDir: string): void {
  const others = specs.filter((s) => s.image);
  const read = new Map(readGreyImages(others.map((s) => s.image!)).map((img, i) => [others[i], img]));
  const jobs = specs.map((s, i) => {
    const img = read.get(s) ?? readPng(s.png);
    const { width, height, grey } = s.scale && s.scale > 1 ? enlarge(img, s.scale) : img;
    const raw = join(workDir, `px-${i}.raw`);
    if (s.variant === 'MONOCHROME2-8') {
      writeFileSync(raw, grey);
    } else if (s.variant === 'RGB-8') {
      const px = Buffer.alloc(grey.length * 3);
      for (let k = 0; k < grey.length; k++) px[k * 3] = px[k * 3 + 1] = px[k * 3 + 2] = grey[k];
      writeFileSync(raw, px);
    } else {
      const px = Buffer.alloc(grey.length * 2);
      for (let k = 0; k < grey.length; k++) px.writeUInt16LE((255 - grey[k]) * 16, k * 2);
      writeFileSync(raw, px);
    }
    return { ...s, raw, rows: height, cols: width };
  });
  const specFile = join(workDir, 'specs.json');
  writeFileSync(specFile, JSON.stringify(jobs));
  const r = spawnSync('/usr/bin/python3', ['-c', PY, specFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pydicom failed: ${r.stderr || r.error}`);
}

/** Bilinear enlargement to integer grey levels (detector-sized test images from the 256x256 set). */
function enlarge(img: { width: number; height: number; grey: Uint8Array }, k: number) {
  const width = img.width * k;
  const height = img.height * k;
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.max(0, (y + 0.5) / k - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(img.height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, (x + 0.5) / k - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(img.width - 1, x0 + 1);
      const fx = sx - x0;
      const g = (yy: number, xx: number) => img.grey[yy * img.width + xx];
      grey[y * width + x] = Math.round((g(y0, x0) * (1 - fx) + g(y0, x1) * fx) * (1 - fy) + (g(y1, x0) * (1 - fx) + g(y1, x1) * fx) * fy);
    }
  }
  return { width, height, grey };
}

/** A UID under the 2.25 root: the decimal value of a random UUID (PS3.5 B.2). */
export function uid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`)}`;
}
