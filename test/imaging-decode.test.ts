// Every transfer syntax Amur imports decodes to the pixels of the uncompressed original, and the
// reference is never our own reader: dcmtk writes the stored pixel values (dcmdump +W) of the
// original, or of the file after its own decompressor (dcmdjpeg, dcmdrle, dcmdjpls) or gdcm's
// (gdcmconv -w), and dcm2pnm renders palette colour. Encodings that ../shared lacks (RLE, JPEG
// lossless, deflate, JPEG 2000 of the CT slice) are made here by dcmtk and gdcm.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ImageFrame } from '../core/contract/imaging.js';
import { decodeImageFrame } from '../core/imaging/decode.js';
import { DecoderPool } from '../core/imaging/decoder-pool.js';
import { LocalImagingService } from '../core/imaging/service.js';
import { errorMessage, LANGUAGES } from '../core/i18n/index.js';
import { PYDICOM_DATA, shared } from './shared-data.js';

const single = (f: string) => shared('dicom/dicomParser/testImages', f);
const encSingle = (f: string) => shared('dicom/dicomParser/testImages/encapsulated/single-frame', f);
const multi = (f: string) => shared('dicom/dicomParser/testImages/encapsulated/multi-frame', f);

let tmp = '';
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'amur-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A file made by a real tool from `src`, under the test's temp folder. */
function made(name: string, cmd: string, args: string[], src: string): string {
  const out = join(tmp, name);
  run(cmd, [...args, src, out]);
  return out;
}

/** The stored pixel bytes of an uncompressed file, as dcmtk reads them (host byte order). */
function dcmtkRaw(file: string): Uint8Array {
  const dir = mkdtempSync(join(tmp, 'raw-'));
  execFileSync('dcmdump', ['-q', '+W', dir, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const raws = readdirSync(dir).filter((n) => n.endsWith('.raw'));
  assert.equal(raws.length, 1, `dcmdump wrote one pixel file for ${basename(file)}`);
  return new Uint8Array(readFileSync(join(dir, raws[0])));
}

function values(f: ImageFrame): ArrayLike<number> {
  const b = f.pixels;
  const copy = b.slice().buffer;
  switch (f.pixelArrayType) {
    case 'Uint8': return new Uint8Array(copy);
    case 'Int8': return new Int8Array(copy);
    case 'Uint16': return new Uint16Array(copy);
    case 'Int16': return new Int16Array(copy);
  }
}

/** Frame `frame` of dcmtk's raw bytes, as the values a viewer must show (Bits Stored, sign). */
function reference(raw: Uint8Array, f: ImageFrame): number[] {
  const m = f.pixelModule;
  const samples = f.colour ? 3 : 1;
  const bytes = m.BitsAllocated <= 8 ? 1 : 2;
  const n = m.Rows * m.Columns * samples;
  const start = m.frame * n * bytes;
  assert.ok(raw.length >= start + n * bytes, 'reference holds the frame');
  const view = new DataView(raw.buffer, raw.byteOffset + start, n * bytes);
  const out: number[] = [];
  const bits = m.BitsStored;
  for (let i = 0; i < n; i++) {
    let v = bytes === 1 ? view.getUint8(i) : view.getUint16(i * 2, true);
    if (!f.colour) {
      v &= (1 << bits) - 1;
      if (m.PixelRepresentation === 1 && v & (1 << (bits - 1))) v -= 1 << bits;
    }
    out.push(v);
  }
  return out;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'same number of samples');
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

async function decodeFile(file: string, frame = 0): Promise<ImageFrame> {
  return decodeImageFrame(new Uint8Array(readFileSync(file)), frame, file);
}

async function assertSamePixels(file: string, raw: Uint8Array, frames: number[], expectedTs?: string): Promise<void> {
  for (const frame of frames) {
    const f = await decodeFile(file, frame);
    if (expectedTs) assert.equal(f.pixelModule.TransferSyntaxUID, expectedTs, `${basename(file)} is in the transfer syntax under test`);
    const got = values(f);
    const ref = reference(raw, f);
    assert.equal(maxDifference(got, ref), 0, `${basename(file)} frame ${frame} equals the uncompressed original`);
    // The range a viewer uses for its default window must come from the pixels themselves.
    assert.equal(f.minPixelValue, ref.reduce((a, b) => Math.min(a, b)));
    assert.equal(f.maxPixelValue, ref.reduce((a, b) => Math.max(a, b)));
  }
}

describe('CT slice (CT1_UNC) in every lossless transfer syntax', () => {
  let raw: Uint8Array;
  before(() => {
    raw = dcmtkRaw(single('CT1_UNC.explicit_little_endian.dcm'));
  });

  const cases: [string, () => string, string][] = [
    ['implicit VR little endian', () => single('CT1_UNC.implicit_little_endian.dcm'), '1.2.840.10008.1.2'],
    ['explicit VR little endian', () => single('CT1_UNC.explicit_little_endian.dcm'), '1.2.840.10008.1.2.1'],
    ['explicit VR big endian', () => single('CT1_UNC.explicit_big_endian.dcm'), '1.2.840.10008.1.2.2'],
    ['deflated explicit VR little endian (dcmconv +td)', () => made('ct1-deflate.dcm', 'dcmconv', ['+td'], single('CT1_UNC.explicit_little_endian.dcm')), '1.2.840.10008.1.2.1.99'],
    ['RLE lossless (dcmcrle)', () => made('ct1-rle.dcm', 'dcmcrle', [], single('CT1_UNC.explicit_little_endian.dcm')), '1.2.840.10008.1.2.5'],
    ['JPEG lossless process 14 (dcmcjpeg +el)', () => made('ct1-57.dcm', 'dcmcjpeg', ['+el'], single('CT1_UNC.explicit_little_endian.dcm')), '1.2.840.10008.1.2.4.57'],
    ['JPEG lossless SV1 (dcmcjpeg +e1)', () => made('ct1-70.dcm', 'dcmcjpeg', ['+e1'], single('CT1_UNC.explicit_little_endian.dcm')), '1.2.840.10008.1.2.4.70'],
    ['JPEG-LS lossless, fragmented with offset table', () => encSingle('CT1_UNC.fragmented_bot_jpeg_ls.80.dcm'), '1.2.840.10008.1.2.4.80'],
    ['JPEG-LS lossless, fragmented without offset table', () => encSingle('CT1_UNC.fragmented_no_bot_jpeg_ls.80.dcm'), '1.2.840.10008.1.2.4.80'],
    ['JPEG-LS lossless, one fragment with offset table', () => encSingle('CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm'), '1.2.840.10008.1.2.4.80'],
    ['JPEG-LS lossless, one fragment without offset table', () => encSingle('CT1_UNC.not_fragmented_no_bot_jpeg_ls.80.dcm'), '1.2.840.10008.1.2.4.80'],
    ['JPEG 2000 lossless (gdcmconv --j2k)', () => made('ct1-j2k.dcm', 'gdcmconv', ['--j2k'], single('CT1_UNC.explicit_little_endian.dcm')), '1.2.840.10008.1.2.4.90'],
  ];
  for (const [name, file, ts] of cases) {
    test(name, async () => assertSamePixels(file(), raw, [0], ts));
  }

  test('the pixel module reads the slice as a signed 16-bit CT in Hounsfield units', async () => {
    const f = await decodeFile(single('CT1_UNC.explicit_big_endian.dcm'));
    const m = f.pixelModule;
    assert.equal(f.pixelArrayType, 'Int16');
    assert.equal(f.colour, false);
    assert.deepEqual([m.Rows, m.Columns, m.BitsAllocated, m.PixelRepresentation, m.PhotometricInterpretation], [512, 512, 16, 1, 'MONOCHROME2']);
    // Values as dcmdump shows them for this file (which has a rescale and no window).
    const dump = execFileSync('dcmdump', ['-q', '+P', '0028,1052', '+P', '0028,1053', '+P', '0028,1050', single('CT1_UNC.explicit_big_endian.dcm')], { encoding: 'utf8' });
    const ds = (tag: string) => Number(new RegExp(`\\(${tag}\\) DS \\[([^\\]\\\\]+)`).exec(dump)?.[1]);
    assert.equal(m.RescaleIntercept, ds('0028,1052'));
    assert.equal(m.RescaleSlope, ds('0028,1053'));
    assert.doesNotMatch(dump, /0028,1050/);
    assert.deepEqual(m.WindowCenter, []);
  });
});

describe('multi-frame CT (CT0012, 2 frames) in encapsulated syntaxes', () => {
  let raw: Uint8Array;
  before(() => {
    raw = dcmtkRaw(multi('CT0012.explicit_little_endian.dcm'));
  });
  const lossless = [
    'CT0012.explicit_little_endian.dcm',
    'CT0012.fragmented_no_bot_jpeg_lossless.57.dcm',
    'CT0012.fragmented_no_bot_jpeg_lossless.70.dcm',
    'CT0012.fragmented_no_bot_jpeg_ls.80.dcm',
    'CT0012.not_fragmented_bot_jpeg_ls.80.dcm',
    'CT0012.not_fragmented_no_bot_jpeg_ls.80.dcm',
    'CT0012.not_fragmented_bot_rle.dcm',
    'CT0012.not_fragmented_no_bot_rle.dcm',
  ];
  for (const name of lossless) {
    test(`${name}: both frames exact`, async () => assertSamePixels(multi(name), raw, [0, 1]));
  }

  test('JPEG-LS near-lossless: within NEAR=2 of the original and equal to dcmdjpls', async () => {
    const file = multi('CT0012.fragmented_no_bot_jpeg_ls.81.dcm');
    const dcmtk = dcmtkRaw(made('ct0012-81-dcmdjpls.dcm', 'dcmdjpls', [], file));
    for (const frame of [0, 1]) {
      const f = await decodeFile(file, frame);
      assert.ok(maxDifference(values(f), reference(raw, f)) <= 2, 'near-lossless error bound');
      assert.equal(maxDifference(values(f), reference(dcmtk, f)), 0, 'same as dcmtk');
    }
  });

  test('JPEG extended 12-bit (process 4): the same as dcmdjpeg, to DCT rounding', async () => {
    // dcmcjpeg stored this file's values shifted into 12 bits, so the reference is dcmtk's own
    // decompression of the same stream, not the 16-bit original.
    const file = multi('CT0012.fragmented_no_bot_jpeg_baseline.51.dcm');
    const dcmtk = dcmtkRaw(made('ct0012-51-dcmdjpeg.dcm', 'dcmdjpeg', [], file));
    for (const frame of [0, 1]) {
      const f = await decodeFile(file, frame);
      assert.equal(f.pixelModule.BitsStored, 12);
      assert.ok(maxDifference(values(f), reference(dcmtk, f)) <= 1, `frame ${frame} within 1 of dcmdjpeg`);
    }
  });

  test('the per-frame functional groups give each frame its rescale and window', async () => {
    const f = await decodeFile(multi('CT0012.explicit_little_endian.dcm'), 1);
    assert.equal(f.pixelModule.NumberOfFrames, 2);
    assert.equal(f.pixelModule.frame, 1);
    assert.equal(f.pixelModule.RescaleIntercept, -1024);
    assert.deepEqual([f.pixelModule.WindowCenter[0], f.pixelModule.WindowWidth[0]], [49, 102]);
  });

  test('a frame past the last is refused with a translated reason', async () => {
    await assert.rejects(decodeFile(multi('CT0012.explicit_little_endian.dcm'), 2), (e: any) => {
      assert.equal(e.code, 'imaging.noSuchFrame');
      for (const lang of LANGUAGES) assert.match(errorMessage(e, lang), /2/);
      return true;
    });
  });
});

describe('colour', () => {
  test('RGB, 8 frames, native and RLE (planar segments): exact', async () => {
    const orig = multi('IM00001.implicit_little_endian.dcm');
    const raw = dcmtkRaw(orig);
    await assertSamePixels(orig, raw, [0, 7]);
    await assertSamePixels(made('im1-rle.dcm', 'dcmcrle', [], orig), raw, [0, 7], '1.2.840.10008.1.2.5');
    const f = await decodeFile(orig, 3);
    assert.equal(f.colour, true);
    assert.equal(f.pixels.length, f.pixelModule.Rows * f.pixelModule.Columns * 3);
  });

  test('JPEG baseline YBR_FULL: RGB close to dcmdjpeg and to the original', async () => {
    const file = multi('IM00001.fragmented_no_bot_jpeg_baseline.50.dcm');
    const dcmtk = dcmtkRaw(made('im1-50-dcmdjpeg.dcm', 'dcmdjpeg', [], file));
    const orig = dcmtkRaw(multi('IM00001.implicit_little_endian.dcm'));
    for (const frame of [0, 5]) {
      const f = await decodeFile(file, frame);
      assert.equal(f.colour, true);
      const got = values(f);
      // libjpeg-turbo and dcmtk's IJG differ only in chroma upsampling and rounding.
      assert.ok(meanDifference(got, reference(dcmtk, f)) < 1.5, 'mean within 1.5 of dcmdjpeg');
      assert.ok(meanDifference(got, reference(orig, f)) < 4, 'lossy, but close to the original');
    }
  });

  test('palette colour (US-PAL-8-10x-echo, RLE): the same RGB as dcm2pnm renders', async () => {
    const file = shared('dicom/dicomweb-client/testData/US-PAL-8-10x-echo.dcm');
    for (const frame of [0, 9]) {
      const f = await decodeFile(file, frame);
      assert.equal(f.pixelModule.PhotometricInterpretation, 'PALETTE COLOR');
      assert.equal(f.colour, true);
      const ppm = join(tmp, `pal-${frame}.ppm`);
      run('dcm2pnm', ['+F', String(frame + 1), '+op', file, ppm]);
      const rgb = ppmPixels(readFileSync(ppm));
      assert.equal(maxDifference(values(f), rgb), 0, `frame ${frame}`);
    }
  });
});

function meanDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** The samples of a binary PPM (P6) file. */
function ppmPixels(buf: Buffer): Uint8Array {
  let pos = 0;
  const fields: string[] = [];
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    if (buf[pos] === 0x23) { while (buf[pos] !== 0x0a) pos++; continue; }
    let s = '';
    while (!/\s/.test(String.fromCharCode(buf[pos]))) s += String.fromCharCode(buf[pos++]);
    fields.push(s);
  }
  assert.equal(fields[0], 'P6');
  return new Uint8Array(buf.subarray(pos + 1));
}

describe('monochrome variants and other encoders', () => {
  test('MONOCHROME1 (CR): stored values kept, photometric reported so the viewer inverts', async () => {
    const file = join(PYDICOM_DATA, 'test_files/dicomdirtests/77654033/CR1/6154');
    const f = await decodeFile(file);
    assert.equal(f.pixelModule.PhotometricInterpretation, 'MONOCHROME1');
    assert.equal(maxDifference(values(f), reference(dcmtkRaw(file), f)), 0);
  });

  test('JPEG extended 12-bit from another encoder (pydicom JPGExtended.dcm) matches dcmdjpeg', async () => {
    const file = join(PYDICOM_DATA, 'test_files/JPGExtended.dcm');
    const f = await decodeFile(file);
    assert.equal(f.pixelModule.TransferSyntaxUID, '1.2.840.10008.1.2.4.51');
    const ref = reference(dcmtkRaw(made('jpgext-dcmdjpeg.dcm', 'dcmdjpeg', [], file)), f);
    assert.ok(maxDifference(values(f), ref) <= 1);
  });

  test('JPEG 2000 decoded here equals gdcm\'s decompression (gdcmconv -w)', async () => {
    const file = join(PYDICOM_DATA, 'test_files/693_J2KI.dcm');
    const f = await decodeFile(file);
    const ref = reference(dcmtkRaw(made('693-gdcm-raw.dcm', 'gdcmconv', ['-w'], file)), f);
    assert.ok(maxDifference(values(f), ref) <= 1, 'irreversible wavelet, to rounding');
  });

  test('deflated 8-bit image from dclunie\'s set equals dcmtk\'s inflated copy', async () => {
    const file = single('deflate/image_dfl');
    const raw = dcmtkRaw(made('dfl-te.dcm', 'dcmconv', ['+te'], file));
    await assertSamePixels(file, raw, [0], '1.2.840.10008.1.2.1.99');
  });
});

describe('bad input', () => {
  test('a structured report has no image', async () => {
    await assert.rejects(decodeFile(single('deflate/report_dfl')), { code: 'imaging.notAnImage' });
  });

  test('a file cut short names itself, and every language has the message', async () => {
    const bytes = readFileSync(single('CT1_UNC.explicit_little_endian.dcm'));
    const cut = join(tmp, 'cut.dcm');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
    await assert.rejects(decodeFile(cut), (e: any) => {
      assert.ok(['imaging.truncated', 'imaging.unreadable'].includes(e.code), e.code);
      for (const lang of LANGUAGES) assert.doesNotMatch(errorMessage(e, lang), /errors\.imaging/);
      return true;
    });
  });
});

describe('imaging service (worker threads)', () => {
  test('serves frames by SOPInstanceUID with the same pixels as a direct decode', async () => {
    const files: Record<string, string> = {};
    const paths = [multi('CT0012.fragmented_no_bot_jpeg_ls.80.dcm'), single('CT1_UNC.explicit_big_endian.dcm')];
    for (const p of paths) files[(await decodeFile(p)).pixelModule.SOPInstanceUID] = p;
    const service = new LocalImagingService({ instanceFile: (uid) => files[uid], decoders: 1 });
    try {
      await service.ready();
      for (const [uid, p] of Object.entries(files)) {
        const direct = await decodeFile(p, 0);
        const served = await service.getImageFrame(uid, 0);
        assert.equal(served.pixelModule.SOPInstanceUID, uid);
        assert.equal(maxDifference(values(served), values(direct)), 0);
      }
      await assert.rejects(service.getImageFrame('1.2.3.4', 0), { code: 'imaging.unknownInstance' });
    } finally {
      await service.dispose();
    }
  });

  test('the image on screen is decoded before queued prefetches', async () => {
    const file = single('CT1_UNC.explicit_little_endian.dcm');
    const uid = (await decodeFile(file)).pixelModule.SOPInstanceUID;
    // Ten copies of the slice under other names: each is its own decoding job.
    const copies = new Map<string, string>([[uid, file]]);
    for (let i = 0; i < 10; i++) {
      const copy = join(tmp, `copy-${i}.dcm`);
      writeFileSync(copy, readFileSync(file));
      copies.set(`${uid}.${i}`, copy);
    }
    const service = new LocalImagingService({ instanceFile: (u) => copies.get(u), decoders: 1 });
    try {
      await service.ready();
      const order: string[] = [];
      const prefetches = Array.from({ length: 10 }, (_, i) =>
        service.getImageFrame(`${uid}.${i}`, 0, { prefetch: true }).then(() => order.push(`p${i}`)),
      );
      const shown = service.getImageFrame(uid, 0).then(() => order.push('display'));
      await Promise.all([...prefetches, shown]);
      assert.ok(order.indexOf('display') < order.indexOf('p9'), order.join(' '));
      assert.ok(order.indexOf('display') <= 3, `display came early: ${order.join(' ')}`);
    } finally {
      await service.dispose();
    }
  });

  test('a decoder thread that dies fails only its frames, and a fresh one takes its place', async () => {
    const file = single('CT1_UNC.explicit_little_endian.dcm');
    const pool = new DecoderPool(1);
    try {
      await pool.ready();
      // The worker is killed from outside, as the OS or a native crash would (the common pool's own
      // tests make workers die from inside).
      const slot = (pool as unknown as { pool: { slots: { worker: { terminate(): Promise<number> } }[] } }).pool.slots[0];
      const doomed = pool.decode(file, 0);
      await slot.worker.terminate();
      await assert.rejects(doomed, { code: 'imaging.decoderFailed' });
      const after = await pool.decode(file, 0);
      assert.equal(after.pixelModule.Rows, 512);
    } finally {
      await pool.close();
    }
  });
});
