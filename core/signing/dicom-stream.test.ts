// The MAC byte stream of PS3.15 Annex C on hand-made elements, byte by byte, so that a change to
// the encoding rules shows here before dcmsign disagrees in the integration tests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dicomDateTimeUTC, parseDicomDateTime } from './dicom-signature.js';
import { encodeElement, encodeItem, encodeSequence, EXPLICIT_VR_LITTLE_ENDIAN, isSignable, parsePart10, signatureFormat, tagOf } from './dicom-stream.js';

function part10(...dataset: Buffer[]): Buffer {
  const meta = encodeElement(0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), meta, ...dataset]);
}

describe('element encoding', () => {
  it('pads UI with NUL and text with a space to even length', () => {
    assert.deepEqual(encodeElement(0x0008, 0x0018, 'UI', '1.2.3'), Buffer.from('08001800' + '5549' + '0600' + '312e322e3300', 'hex'));
    assert.deepEqual(encodeElement(0x0010, 0x0010, 'PN', 'A^B'), Buffer.from('10001000' + '504e' + '0400' + '415e4220', 'hex'));
  });
  it('gives OB a 4-byte length after two reserved bytes', () => {
    assert.deepEqual(encodeElement(0x0400, 0x0120, 'OB', Buffer.from([1, 2, 3])), Buffer.from('00042001' + '4f42' + '0000' + '04000000' + '01020300', 'hex'));
  });
});

describe('signature format (MAC stream)', () => {
  it('a sequence: tag, VR, reserved; item tags without lengths; a sequence delimiter tag; no item delimiters', () => {
    const inner = encodeElement(0x0008, 0x0100, 'SH', '5');
    // The same sequence with an undefined length and an undefined-length item, as dcmtk may write it.
    const undefinedLength = Buffer.concat([
      Buffer.from('08004011' + '5351' + '0000' + 'ffffffff', 'hex'),
      Buffer.from('feff00e0' + 'ffffffff', 'hex'),
      inner,
      Buffer.from('feff0de0' + '00000000', 'hex'),
      Buffer.from('feffdde0' + '00000000', 'hex'),
    ]);
    const defined = encodeSequence(0x0008, 0x1140, [encodeItem([inner])]);
    const expected = Buffer.concat([Buffer.from('08004011' + '5351' + '0000', 'hex'), Buffer.from('feff00e0', 'hex'), inner, Buffer.from('feffdde0', 'hex')]);
    for (const encoded of [defined, undefinedLength]) {
      const p = parsePart10(part10(encoded));
      const out: Buffer[] = [];
      signatureFormat(p.bytes, p.elements[0]!, out);
      assert.deepEqual(Buffer.concat(out), expected);
    }
  });

  it('encapsulated pixel data: fragments as item tags without lengths, then their bytes', () => {
    const pixel = Buffer.concat([
      Buffer.from('e07f1000' + '4f42' + '0000' + 'ffffffff', 'hex'),
      Buffer.from('feff00e0' + '00000000', 'hex'), // empty Basic Offset Table
      Buffer.from('feff00e0' + '04000000' + 'ffd8ffd9', 'hex'),
      Buffer.from('feffdde0' + '00000000', 'hex'),
    ]);
    const p = parsePart10(part10(pixel));
    const out: Buffer[] = [];
    signatureFormat(p.bytes, p.elements[0]!, out);
    assert.deepEqual(Buffer.concat(out), Buffer.from('e07f1000' + '4f42' + '0000' + 'feff00e0' + 'feff00e0' + 'ffd8ffd9' + 'feffdde0', 'hex'));
  });

  it('leaves out what may not be signed', () => {
    const p = parsePart10(
      part10(
        encodeElement(0x0008, 0x0000, 'UL', Buffer.alloc(4)),
        encodeElement(0x0010, 0x0010, 'PN', 'A'),
        encodeSequence(0x4ffe, 0x0001, []),
        encodeElement(0x0011, 0x1010, 'UN', Buffer.from([1, 2])),
        encodeSequence(0xfffa, 0xfffa, []),
      ),
    );
    assert.deepEqual(
      p.elements.filter(isSignable).map((e) => e.tag),
      [tagOf(0x0010, 0x0010)],
    );
  });
});

describe('Digital Signature DateTime', () => {
  it('is written in UTC with microseconds and read back to the same instant', () => {
    const d = new Date('2026-11-22T14:05:06.789Z');
    assert.equal(dicomDateTimeUTC(d), '20261122140506.789000+0000');
    assert.equal(parseDicomDateTime('20261122140506.789000+0000')!.toISOString(), d.toISOString());
    assert.equal(parseDicomDateTime('20261122220506.789+0800')!.toISOString(), d.toISOString());
  });
});
