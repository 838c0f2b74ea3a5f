// Specific Character Set decoding on hand-built values for the cases the real test files do not
// cover: every single-byte set, GBK, GB18030 four-byte characters, ISO 2022 IR 58 / 159 / 13, and the
// reset to the initial code element at delimiters. Expected strings come from PS3.5 Annex K (the
// GB2312 example) and from the ISO 8859 / JIS / GB code tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { charsetDecoder } from './charset.js';

const ESC = 0x1b;
const b = (...parts: (number | string | number[])[]) => Uint8Array.from(parts.flatMap((p) =>
  typeof p === 'number' ? [p] : typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p));

test('single-byte sets decode by their ISO 8859 / TIS 620 tables', () => {
  const cases: [string, number, string][] = [
    ['ISO_IR 100', 0xe9, 'é'],
    ['ISO_IR 101', 0xec, 'ě'],
    ['ISO_IR 109', 0xe6, 'ĉ'],
    ['ISO_IR 110', 0xc0, 'Ā'],
    ['ISO_IR 144', 0xbb, 'Л'],
    ['ISO_IR 127', 0xc8, 'ب'],
    ['ISO_IR 126', 0xe1, 'α'],
    ['ISO_IR 138', 0xe0, 'א'],
    ['ISO_IR 148', 0xf0, 'ğ'],
    ['ISO_IR 203', 0xa4, '€'],
    ['ISO_IR 166', 0xa1, 'ก'],
  ];
  for (const [term, byte, char] of cases) {
    assert.equal(charsetDecoder(term).decode(b('A', byte), 'LO'), `A${char}`, term);
  }
  // Latin-9 differs from Latin-1 in eight places (ISO 8859-15).
  assert.equal(charsetDecoder('ISO_IR 203').decode(b(0xa4, 0xa6, 0xa8, 0xb4, 0xb8, 0xbc, 0xbd, 0xbe), 'LO'), '€ŠšŽžŒœŸ');
  // ISO 8859 has C1 controls at 80-9F, where windows-1252 (what WHATWG calls iso-8859-1) has letters.
  assert.equal(charsetDecoder('ISO_IR 100').decode(b(0x80, 0x9f), 'LO'), '\u0080\u009f');
});

test('the default repertoire, and an unknown term, read bytes as Latin-1 and say so', () => {
  assert.equal(charsetDecoder(undefined).decode(b('Doe^John'), 'PN'), 'Doe^John');
  const unknown = charsetDecoder('ISO_IR 999');
  assert.equal(unknown.decode(b(0xe9), 'PN'), 'é');
  assert.match(unknown.warnings.join(), /ISO_IR 999/);
  const misspelt = charsetDecoder('ISO-IR 144');
  assert.equal(misspelt.decode(b(0xbb), 'PN'), 'Л');
  assert.match(misspelt.warnings.join(), /read as "ISO_IR 144"/);
});

test('UTF-8, GB18030 (with a four-byte character) and GBK', () => {
  assert.equal(charsetDecoder('ISO_IR 192').decode(b([0xe7, 0x8e, 0x8b], '^', [0xe5, 0xb0, 0x8f]), 'PN'), '王^小');
  assert.equal(charsetDecoder('GB18030').decode(b('Wang=', [0xcd, 0xf5], '^', [0x95, 0x32, 0x82, 0x36]), 'PN'), 'Wang=王^𠀀');
  assert.equal(charsetDecoder('GBK').decode(b([0xe6, 0x67], '^', [0xd0, 0xa1]), 'PN'), '鎔^小');
});

test('ISO 2022 IR 58: the GB2312 example of PS3.5 Annex K', () => {
  const d = charsetDecoder('\\ISO 2022 IR 58');
  const value = b('Zhang^XiaoDong=', ESC, '$)A', [0xd5, 0xc5], '^', ESC, '$)A', [0xd0, 0xa1, 0xb6, 0xab], '=');
  assert.equal(d.decode(value, 'PN'), 'Zhang^XiaoDong=张^小东=');
});

test('ISO 2022 IR 159 (JIS X 0212) and IR 87 in one value; IR 13 half-width katakana without extensions', () => {
  const d = charsetDecoder('\\ISO 2022 IR 87\\ISO 2022 IR 159');
  assert.equal(d.decode(b(ESC, '$B', ';3', ESC, '(B', '^', ESC, '$(D', [0x30, 0x21], ESC, '(B'), 'PN'), '山^丂');
  assert.equal(charsetDecoder('ISO_IR 13').decode(b([0xd4, 0xcf, 0xc0, 0xde], '^', 'Taro'), 'PN'), 'ﾔﾏﾀﾞ^Taro');
});

test('ISO_IR 13 with two-byte Shift-JIS in it reads as Shift-JIS, as pydicom and dcmtk read it', () => {
  const d = charsetDecoder('ISO_IR 13');
  // ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎: half-width katakana, then kanji as Shift-JIS pairs (山 8E52, 田 9363, 太 91BE, 郎 9859).
  const name = b([0xd4, 0xcf, 0xc0, 0xde], '^', [0xc0, 0xdb, 0xb3], '=', [0x8e, 0x52, 0x93, 0x63], '^', [0x91, 0xbe, 0x98, 0x59]);
  assert.equal(d.decode(name, 'PN'), 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎');
  // A trail byte that is "\\" or "^" belongs to its character (ソ 835C, 表 955C, 膿 945E): no delimiter there.
  assert.equal(d.decode(b([0x83, 0x5c, 0x95, 0x5c, 0x94, 0x5e]), 'PN'), 'ソ表膿');
  // A lone lead byte at the end, and bytes no set defines, are replacement characters.
  assert.equal(d.decode(b([0xd4, 0x81]), 'PN'), 'ﾔ\ufffd');
  assert.equal(d.decode(b([0xa0, 0xfd]), 'LO'), '\ufffd\ufffd');
});

test('delimiters return to the initial code element; inside two-byte characters they are not delimiters', () => {
  const d = charsetDecoder('ISO 2022 IR 100\\ISO 2022 IR 144');
  // PN: after "^" G1 is Latin-1 again, so E9 is é; in an LO "^" is text and E9 stays Cyrillic щ.
  assert.equal(d.decode(b(ESC, '-L', 0xbb, '^', 0xe9), 'PN'), 'Л^é');
  assert.equal(d.decode(b(ESC, '-L', 0xbb, '^', 0xe9), 'LO'), 'Л^щ');
  // A multi-valued LO: each value starts afresh.
  assert.equal(d.decode(b(ESC, '-L', 0xbb, '\\', 0xe9), 'LO'), 'Л\\é');
  // Text VRs reset at line ends.
  assert.equal(d.decode(b(ESC, '-L', 0xbb, '\r\n', 0xe9), 'LT'), 'Л\r\né');
  // In JIS X 0208, 0x24 0x5E is one character (ま); 5E there is not the "^" delimiter.
  const j = charsetDecoder('\\ISO 2022 IR 87');
  assert.equal(j.decode(b(ESC, '$B', '$^', ESC, '(B', '^x'), 'PN'), 'ま^x');
});

test('only text VRs use the character set; padding is removed, leading spaces kept', () => {
  const d = charsetDecoder('ISO_IR 192');
  assert.equal(d.decode(b([0xc3, 0xa9]), 'CS'), 'Ã©', 'CS is ASCII: the bytes are not UTF-8 decoded');
  assert.equal(d.decode(b(' Doe^John ', 0), 'PN'), ' Doe^John');
  assert.equal(d.decode(b('1.2.3', 0), 'UI'), '1.2.3');
});

test('value 1 that names a two-byte G0 set still starts in ASCII; UTF-8 with extra values stays UTF-8', () => {
  assert.equal(charsetDecoder('ISO 2022 IR 87').decode(b('Yamada=', ESC, '$B', ';3', ESC, '(B'), 'PN'), 'Yamada=山');
  const utf8 = charsetDecoder('ISO_IR 192\\ISO 2022 IR 100');
  assert.equal(utf8.decode(b([0xc3, 0xa9]), 'PN'), 'é');
  assert.match(utf8.warnings.join(), /allows no other values/);
});
