// Hand-built DICOM bytes for parser edge cases that no tool will write (absurd nesting, lengths past
// the end). Each helper writes exactly what PS3.5 7.1 describes, so the tests can say element by
// element what the file contains.
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** Pads a value to even length: UI with NUL, text with space (PS3.5 6.2). */
export function pad(value: string, vr: string): Buffer {
  const b = Buffer.from(value, 'latin1');
  if (b.length % 2 === 0) return b;
  return Buffer.concat([b, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
}

/** One explicit VR little endian element; `length` overrides the real length (for hostile files). */
export function explicitLE(group: number, element: number, vr: string, value: Buffer, length = value.length): Buffer {
  const long = LONG_VRS.has(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(length >>> 0, 8);
  else h.writeUInt16LE(length, 6);
  return Buffer.concat([h, value]);
}

/** One implicit VR little endian element. */
export function implicitLE(group: number, element: number, value: Buffer, length = value.length): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.writeUInt32LE(length >>> 0, 4);
  return Buffer.concat([h, value]);
}

/** An item or delimiter header (FFFE,xxxx) with its 32-bit length. */
export function itemTag(element: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(0xfffe, 0);
  h.writeUInt16LE(element, 2);
  h.writeUInt32LE(length >>> 0, 4);
  return h;
}

export const UNDEFINED = 0xffffffff;

/** Preamble, "DICM" and a File Meta Information group naming the transfer syntax. */
export function part10(transferSyntaxUID: string, dataSet: Buffer, sopClassUID = '1.2.840.10008.5.1.4.1.1.7', sopInstanceUID = '1.2.3.4.5'): Buffer {
  const meta = Buffer.concat([
    explicitLE(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    explicitLE(0x0002, 0x0002, 'UI', pad(sopClassUID, 'UI')),
    explicitLE(0x0002, 0x0003, 'UI', pad(sopInstanceUID, 'UI')),
    explicitLE(0x0002, 0x0010, 'UI', pad(transferSyntaxUID, 'UI')),
  ]);
  const groupLength = explicitLE(0x0002, 0x0000, 'UL', Buffer.from(Uint32Array.of(meta.length).buffer));
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), groupLength, meta, dataSet]);
}

/** The identifying elements every instance needs, explicit VR little endian, in tag order. */
export function identity(uids = { study: '1.2.3.1', series: '1.2.3.2', instance: '1.2.3.4.5' }): { head: Buffer; tail: Buffer } {
  return {
    head: Buffer.concat([
      explicitLE(0x0008, 0x0016, 'UI', pad('1.2.840.10008.5.1.4.1.1.7', 'UI')),
      explicitLE(0x0008, 0x0018, 'UI', pad(uids.instance, 'UI')),
    ]),
    tail: Buffer.concat([
      explicitLE(0x0020, 0x000d, 'UI', pad(uids.study, 'UI')),
      explicitLE(0x0020, 0x000e, 'UI', pad(uids.series, 'UI')),
    ]),
  };
}
