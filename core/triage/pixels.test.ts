// The triage pixel decoder against an independent implementation: dcmtk's dcm2pnm renders the same
// pydicom test files with the file's window (or min-max) to 8 bits, and our 0..1 image must agree
// within one grey level. Also: every byte order and every lossless compression gives the same image, and
// what cannot be triaged (colour) is refused with its reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAmurError } from '../common/errors.js';
import { PYDICOM_DATA } from '../../test/shared-data.js';
import { decodeGreyImage, type GreyImage } from './pixels.js';

const file = (name: string) => join(PYDICOM_DATA, 'test_files', name);

async function decode(name: string): Promise<GreyImage> {
  return decodeGreyImage(readFileSync(file(name)), file(name));
}

async function refusal(name: string): Promise<string> {
  try {
    await decode(name);
  } catch (e) {
    assert.ok(isAmurError(e), String(e));
    return e.code;
  }
  assert.fail(`${name} was decoded`);
}

const work = mkdtempSync(join(tmpdir(), 'amur-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** dcm2pnm's 8-bit rendering (binary PGM) with the given VOI option. */
function dcmtk(name: string, voi: string[]): { width: number; height: number; px: Uint8Array } {
  const out = join(work, `${name}.pgm`);
  const r = spawnSync('dcm2pnm', [...voi, file(name), out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const b = readFileSync(out);
  const header = b.subarray(0, 20).toString('latin1').match(/^P5\s+(\d+)\s+(\d+)\s+255\s/);
  assert.ok(header);
  return { width: +header[1], height: +header[2], px: b.subarray(header[0].length) };
}

function maxDifference(ours: GreyImage, ref: { width: number; height: number; px: Uint8Array }): number {
  assert.equal(ours.width, ref.width);
  assert.equal(ours.height, ref.height);
  let worst = 0;
  for (let i = 0; i < ref.px.length; i++) worst = Math.max(worst, Math.abs(ours.data[i] * 255 - ref.px[i]));
  return worst;
}

describe('triage pixel decoding', () => {
  it('applies the file window as dcmtk does (MR, signed 16-bit, WindowCenter 600 / WindowWidth 1600)', async () => {
    const img = await decode('MR_small.dcm');
    assert.deepEqual(img.notes, []);
    assert.ok(maxDifference(img, dcmtk('MR_small.dcm', ['+Wi', '1'])) <= 1);
  });

  it('falls back to the min-max window when the file has none, and says so (CT with rescale)', async () => {
    const img = await decode('CT_small.dcm');
    assert.deepEqual(img.notes, ['no-window-min-max-used']);
    assert.ok(maxDifference(img, dcmtk('CT_small.dcm', ['+Wm'])) <= 1);
  });

  it('gives the same image whatever the byte order or VR encoding', async () => {
    const le = await decode('MR_small.dcm');
    for (const other of ['MR_small_bigendian.dcm', 'MR_small_implicit.dcm']) {
      assert.deepEqual((await decode(other)).data, le.data, other);
    }
  });

  it('gives a lossless compressed copy (JPEG-LS, RLE, JPEG 2000 lossless) the same image as the uncompressed one', async () => {
    const le = await decode('MR_small.dcm');
    for (const other of ['MR_small_jpeg_ls_lossless.dcm', 'MR_small_RLE.dcm', 'MR_small_jp2klossless.dcm']) {
      assert.deepEqual((await decode(other)).data, le.data, other);
    }
  });

  it('refuses what it cannot triage, with the reason', async () => {
    assert.equal(await refusal('SC_rgb_small_odd.dcm'), 'triage.pixels.photometric');
    assert.equal(await refusal('SC_rgb_jpeg_dcmtk.dcm'), 'triage.pixels.photometric');
  });
});
