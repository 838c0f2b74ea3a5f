// The chunked AES-256-GCM file format: round trips at every size that matters to the chunking, and
// every way a sealed file can be altered (each header field, each chunk's ciphertext and tag,
// reordering, truncation at every boundary and inside chunks, extension, a wrong key, a wrong
// context), each refused with its own AmurError naming the file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AmurError } from '../common/errors.js';
import { errorMessage, LANGUAGES } from '../i18n/index.js';
import {
  createDecryptStream,
  createEncryptStream,
  decryptFile,
  encryptFile,
  HEADER_BYTES,
  MAGIC,
  openBuffer,
  sealBuffer,
  sealedSize,
  TAG_BYTES,
} from './file-cipher.js';

const CS = 64 * 1024;
const STEP = CS + TAG_BYTES;
const key = randomBytes(32);
const dir = mkdtempSync(join(tmpdir(), 'amur-file-cipher-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function refuses(fn: () => unknown, code: string, params: Record<string, unknown> = {}): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AmurError, `expected AmurError, got ${e}`);
    assert.equal(e.code, code, `code ${e.code} ${JSON.stringify(e.params)}`);
    for (const [k, v] of Object.entries(params)) assert.equal(e.params[k], v, `param ${k}`);
    return true;
  });
}

test('round trip at the sizes the chunking cares about, and the sealed size is predicted', () => {
  for (const n of [0, 1, CS - 1, CS, CS + 1, 2 * CS, 3 * CS + 17]) {
    const plain = randomBytes(n);
    const sealed = sealBuffer(key, plain);
    assert.equal(sealed.length, sealedSize(n), `size ${n}`);
    assert.ok(sealed.subarray(0, MAGIC.length).equals(MAGIC));
    assert.ok(openBuffer(key, sealed).equals(plain), `size ${n}`);
  }
});

test('two seals of the same plaintext differ (random base nonce, per-file key)', () => {
  const plain = Buffer.alloc(1000, 7);
  const a = sealBuffer(key, plain);
  const b = sealBuffer(key, plain);
  assert.notDeepEqual(a.subarray(HEADER_BYTES), b.subarray(HEADER_BYTES));
});

const plain = randomBytes(3 * CS + 1000); // four chunks, the last partial
const sealed = sealBuffer(key, plain, { context: '1.2.3.4' });
const o = { context: '1.2.3.4', name: 'slice.dcm' };

test('every header field is protected', () => {
  const flip = (at: number) => {
    const s = Buffer.from(sealed);
    s[at] ^= 0x01;
    return s;
  };
  for (let i = 0; i < MAGIC.length; i++) refuses(() => openBuffer(key, flip(i), o), 'vault.fileNotEncrypted', { path: 'slice.dcm' });
  refuses(() => openBuffer(key, flip(8), o), 'vault.fileUnsupportedVersion', { version: 0 });
  refuses(() => openBuffer(key, flip(9), o), 'vault.fileDamaged'); // 2^17 chunks: the layout no longer matches
  const badExp = Buffer.from(sealed);
  badExp[9] = 40;
  refuses(() => openBuffer(key, badExp, o), 'vault.fileHeaderDamaged');
  for (let i = 10; i < HEADER_BYTES; i++) refuses(() => openBuffer(key, flip(i), o), 'vault.fileWrongKey', { path: 'slice.dcm' });
  refuses(() => openBuffer(key, sealed.subarray(0, 20), o), 'vault.fileHeaderDamaged');
});

test('a flipped bit in any chunk\'s ciphertext or tag names that chunk', () => {
  for (let c = 0; c < 4; c++) {
    const start = HEADER_BYTES + c * STEP;
    const end = Math.min(start + STEP, sealed.length);
    for (const at of [start, start + 100, end - TAG_BYTES - 1, end - TAG_BYTES, end - 1]) {
      const s = Buffer.from(sealed);
      s[at] ^= 0x80;
      refuses(() => openBuffer(key, s, o), 'vault.fileDamaged', { chunk: c, path: 'slice.dcm' });
    }
  }
});

test('reordered chunks are refused', () => {
  const h = sealed.subarray(0, HEADER_BYTES);
  const c = [0, 1, 2].map((i) => sealed.subarray(HEADER_BYTES + i * STEP, HEADER_BYTES + (i + 1) * STEP));
  const rest = sealed.subarray(HEADER_BYTES + 3 * STEP);
  refuses(() => openBuffer(key, Buffer.concat([h, c[1]!, c[0]!, c[2]!, rest]), o), 'vault.fileDamaged', { chunk: 0 });
  refuses(() => openBuffer(key, Buffer.concat([h, c[0]!, c[2]!, c[1]!, rest]), o), 'vault.fileDamaged', { chunk: 1 });
});

test('truncation at every chunk boundary, inside chunks and inside the header is refused', () => {
  refuses(() => openBuffer(key, sealed.subarray(0, HEADER_BYTES), o), 'vault.fileTruncated');
  for (let c = 1; c <= 3; c++) {
    refuses(() => openBuffer(key, sealed.subarray(0, HEADER_BYTES + c * STEP), o), 'vault.fileTruncated', { chunk: c - 1 });
  }
  for (const n of [HEADER_BYTES + 5, HEADER_BYTES + STEP + 1000, sealed.length - 1]) {
    assert.throws(() => openBuffer(key, sealed.subarray(0, n), o), (e: unknown) => e instanceof AmurError && ['vault.fileDamaged', 'vault.fileTruncated'].includes(e.code));
  }
  // A file whose final chunk is full, cut after its next-to-last one.
  const even = sealBuffer(key, randomBytes(2 * CS));
  refuses(() => openBuffer(key, even.subarray(0, HEADER_BYTES + STEP)), 'vault.fileTruncated', { chunk: 0 });
});

test('data appended after the final chunk is refused', () => {
  const even = sealBuffer(key, randomBytes(2 * CS));
  refuses(() => openBuffer(key, Buffer.concat([even, even.subarray(HEADER_BYTES, HEADER_BYTES + STEP)])), 'vault.fileExtended', { chunk: 1 });
  assert.throws(() => openBuffer(key, Buffer.concat([sealed, Buffer.from('x')]), o), (e: unknown) => e instanceof AmurError && e.code === 'vault.fileDamaged');
});

test('a wrong key or a wrong context does not open', () => {
  refuses(() => openBuffer(randomBytes(32), sealed, o), 'vault.fileWrongKey');
  refuses(() => openBuffer(key, sealed, { ...o, context: '1.2.3.5' }), 'vault.fileDamaged', { chunk: 0 });
  refuses(() => openBuffer(key, readFileSync(new URL(import.meta.url)), o), 'vault.fileNotEncrypted');
  refuses(() => openBuffer(Buffer.alloc(16), sealed, o), 'vault.badKeyLength');
});

test('a file encrypted in a stream opens whole and as a stream, and matches sealBuffer\'s format', async () => {
  for (const n of [0, CS, 5 * CS + 3]) {
    const src = join(dir, `plain-${n}`);
    const dest = join(dir, `sealed-${n}`);
    const data = randomBytes(n);
    writeFileSync(src, data);
    const r = await encryptFile(key, src, dest, { context: 'uid' });
    assert.deepEqual(r, { bytes: n, sealedBytes: sealedSize(n) });
    assert.equal(readFileSync(dest).length, sealedSize(n));
    assert.ok((await decryptFile(key, dest, { context: 'uid' })).equals(data));
    assert.ok(openBuffer(key, readFileSync(dest), { context: 'uid' }).equals(data));
    const parts: Buffer[] = [];
    for await (const p of createDecryptStream(key, dest, { context: 'uid' })) parts.push(p as Buffer);
    assert.ok(Buffer.concat(parts).equals(data));
  }
});

test('createEncryptStream seals a stream of odd-sized pieces into the same format', async () => {
  const { Readable } = await import('node:stream');
  const data = randomBytes(2 * CS + 5);
  const pieces = [data.subarray(0, 7), data.subarray(7, CS), data.subarray(CS, CS + 1), data.subarray(CS + 1)];
  const out: Buffer[] = [];
  for await (const p of Readable.from(pieces).pipe(createEncryptStream(key, { context: 'c' }))) out.push(p as Buffer);
  const s = Buffer.concat(out);
  assert.equal(s.length, sealedSize(data.length));
  assert.ok(openBuffer(key, s, { context: 'c' }).equals(data));
  const empty: Buffer[] = [];
  for await (const p of Readable.from([]).pipe(createEncryptStream(key))) empty.push(p as Buffer);
  assert.equal(openBuffer(key, Buffer.concat(empty)).length, 0);
});

test('file failures name the file; a failed encryption leaves nothing, and never removes what was there', async () => {
  const src = join(dir, 'src');
  writeFileSync(src, randomBytes(3 * CS));
  await assert.rejects(encryptFile(key, join(dir, 'missing'), join(dir, 'out1')), (e: unknown) =>
    e instanceof AmurError && e.code === 'vault.fileReadFailed' && e.params.path === join(dir, 'missing'));
  assert.equal(existsSync(join(dir, 'out1')), false);
  const existing = join(dir, 'existing');
  writeFileSync(existing, 'keep me');
  await assert.rejects(encryptFile(key, src, existing), (e: unknown) => e instanceof AmurError && e.code === 'vault.fileWriteFailed' && e.params.path === existing);
  assert.equal(readFileSync(existing, 'utf8'), 'keep me');

  const dest = join(dir, 'sealed');
  await encryptFile(key, src, dest);
  const s = readFileSync(dest);
  writeFileSync(dest, s.subarray(0, HEADER_BYTES + 2 * STEP));
  await assert.rejects(decryptFile(key, dest), (e: unknown) => e instanceof AmurError && e.code === 'vault.fileTruncated' && e.params.path === dest);
  const tampered = Buffer.from(s);
  tampered[HEADER_BYTES + STEP + 5] ^= 1;
  writeFileSync(dest, tampered);
  // The stream gives out chunk 0, then fails at chunk 1 without releasing a byte of it.
  const got: Buffer[] = [];
  await assert.rejects(
    (async () => {
      for await (const p of createDecryptStream(key, dest)) got.push(p as Buffer);
    })(),
    (e: unknown) => e instanceof AmurError && e.code === 'vault.fileDamaged' && e.params.chunk === 1 && e.params.path === dest,
  );
  assert.equal(Buffer.concat(got).length, CS);
  await assert.rejects(decryptFile(key, join(dir, 'nope')), (e: unknown) => e instanceof AmurError && e.code === 'vault.fileReadFailed');
});

test('every vault error code used in core/vault is translated in every language', () => {
  const src = ['file-cipher.ts', 'database.ts', 'vault.ts', 'keys.ts', 'study-keys.ts', 'session.ts', '../store/store.ts', '../../cli/vault.ts']
    .map((f) => readFileSync(new URL(f, import.meta.url), 'utf8'))
    .join('\n');
  const codes = new Set([...src.matchAll(/'(vault\.[A-Za-z]+)'/g)].map((m) => m[1]!).filter((c) => c !== 'vault.json' && c !== 'vault.create')); // a file name and an audit operation
  assert.ok(codes.size >= 25, `found ${codes.size} codes`);
  for (const lang of LANGUAGES) {
    for (const code of codes) {
      const text = errorMessage(new AmurError(code, { path: '/x/y.dcm', chunk: 2, version: 9, detail: 'd', keyId: 'k', study: 's', table: 't', length: 1, expected: 32, env: 'AMUR_PASSPHRASE_FILE' }), lang);
      assert.ok(!text.startsWith('errors.'), `${lang}: ${code} untranslated`);
      if (text.includes('{{')) assert.fail(`${lang}: ${code} has an unfilled parameter: ${text}`);
    }
  }
});
