// The format of an encrypted file in the store, and the functions that seal and open it: AES-256-GCM
// in fixed-size chunks, so that a file of any size is encrypted and decrypted in a stream and
// every chunk is authenticated before a byte of it is used.
//
//   header (38 bytes): magic 89 'A' 'M' 'U' 'R' 0D 0A 1A | version 1 | log2(chunk size) |
//                      random base nonce (12) | key check (16)
//   chunks:            ciphertext (chunk size; the last 0..chunk size) + tag (16), at least one
//
// The magic's high byte and CR LF catch 7-bit and newline-converting copies (PNG's idea). The
// per-file GCM key and the key check come from the data key by HKDF with the base nonce as salt:
// each file has its own key, so nonces can never repeat across files under one study key, and a
// wrong data key is told apart from damage before any chunk is tried. Chunk i's nonce is the base
// nonce XOR i; its AAD is the header, i, a final-chunk flag and the caller's context (e.g. the
// SOP Instance UID, so a file cannot be swapped for another of the same study). Reordered chunks
// fail their tag (wrong nonce), a truncation at a chunk boundary leaves a last chunk not sealed as
// final, and data appended after the final chunk leaves a final chunk that is not last.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { AmurError } from '../common/errors.js';

export const MAGIC = Buffer.from([0x89, 0x41, 0x4d, 0x55, 0x52, 0x0d, 0x0a, 0x1a]);
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = MAGIC.length + 1 + 1 + 12 + 16;
export const TAG_BYTES = 16;
/** 64 KiB: large enough that the 16-byte tag and a cipher call per chunk cost little, small enough to stream. */
export const DEFAULT_CHUNK_LOG2 = 16;
const MIN_CHUNK_LOG2 = 12;
const MAX_CHUNK_LOG2 = 24;
/** The chunk index is XORed into the nonce's last 4 bytes: 2^32 chunks (256 TiB at 64 KiB) per file. */
const MAX_CHUNKS = 2 ** 32;

export interface CipherOptions {
  /** Bound into every chunk's AAD: opening needs the same bytes. */
  context?: string | Buffer;
  /** The file's name in error messages (for buffers that are not files). */
  name?: string;
}

interface FileKeys {
  header: Buffer;
  gcmKey: Buffer;
  baseNonce: Buffer;
  chunkSize: number;
  context: Buffer;
}

function deriveFileKeys(dataKey: Buffer, baseNonce: Buffer): { gcmKey: Buffer; check: Buffer } {
  if (dataKey.length !== 32) throw new AmurError('vault.badKeyLength', { length: dataKey.length, expected: 32 });
  const okm = Buffer.from(hkdfSync('sha256', dataKey, baseNonce, 'amur-file/1', 48));
  return { gcmKey: okm.subarray(0, 32), check: okm.subarray(32, 48) };
}

function newFileKeys(dataKey: Buffer, o: CipherOptions, chunkLog2 = DEFAULT_CHUNK_LOG2): FileKeys {
  const baseNonce = randomBytes(12);
  const { gcmKey, check } = deriveFileKeys(dataKey, baseNonce);
  const header = Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION, chunkLog2]), baseNonce, check]);
  return { header, gcmKey, baseNonce, chunkSize: 2 ** chunkLog2, context: contextBytes(o) };
}

function contextBytes(o: CipherOptions): Buffer {
  return o.context === undefined ? Buffer.alloc(0) : Buffer.isBuffer(o.context) ? o.context : Buffer.from(o.context, 'utf8');
}

/** Reads and checks a header; every refusal names the file. */
function parseHeader(dataKey: Buffer, header: Buffer, path: string, o: CipherOptions): FileKeys {
  if (header.length < MAGIC.length || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new AmurError('vault.fileNotEncrypted', { path });
  }
  if (header.length < MAGIC.length + 1) throw new AmurError('vault.fileHeaderDamaged', { path });
  const version = header[MAGIC.length];
  if (version !== FORMAT_VERSION) throw new AmurError('vault.fileUnsupportedVersion', { path, version });
  const chunkLog2 = header[MAGIC.length + 1];
  if (header.length < HEADER_BYTES || chunkLog2 === undefined || chunkLog2 < MIN_CHUNK_LOG2 || chunkLog2 > MAX_CHUNK_LOG2) {
    throw new AmurError('vault.fileHeaderDamaged', { path });
  }
  const baseNonce = header.subarray(MAGIC.length + 2, MAGIC.length + 14);
  const { gcmKey, check } = deriveFileKeys(dataKey, baseNonce);
  if (!timingSafeEqual(check, header.subarray(MAGIC.length + 14, HEADER_BYTES))) throw new AmurError('vault.fileWrongKey', { path });
  return { header: Buffer.from(header.subarray(0, HEADER_BYTES)), gcmKey, baseNonce: Buffer.from(baseNonce), chunkSize: 2 ** chunkLog2, context: contextBytes(o) };
}

function nonceFor(k: FileKeys, index: number): Buffer {
  const n = Buffer.from(k.baseNonce);
  n.writeUInt32BE((n.readUInt32BE(8) ^ index) >>> 0, 8);
  return n;
}

function aadFor(k: FileKeys, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail[4] = final ? 1 : 0;
  return Buffer.concat([k.header, tail, k.context]);
}

function sealChunk(k: FileKeys, index: number, final: boolean, plain: Buffer): Buffer[] {
  const c = createCipheriv('aes-256-gcm', k.gcmKey, nonceFor(k, index));
  c.setAAD(aadFor(k, index, final));
  const ct = c.update(plain);
  c.final();
  return [ct, c.getAuthTag()];
}

/** Opens one chunk; undefined when its tag does not verify with this final flag. */
function tryOpenChunk(k: FileKeys, index: number, final: boolean, sealed: Buffer): Buffer | undefined {
  const d = createDecipheriv('aes-256-gcm', k.gcmKey, nonceFor(k, index));
  d.setAAD(aadFor(k, index, final));
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plain = d.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    d.final();
    return plain;
  } catch {
    return undefined;
  }
}

/**
 * Opens chunk `index` (the last one in the data when `last`), or says precisely why not: a last
 * chunk that opens as non-final means the file was cut at a chunk boundary; a non-last chunk that
 * opens as final means bytes were appended after the end.
 */
function openChunk(k: FileKeys, index: number, last: boolean, sealed: Buffer, path: string): Buffer {
  const plain = tryOpenChunk(k, index, last, sealed);
  if (plain) return plain;
  if (sealed.length === k.chunkSize + TAG_BYTES && tryOpenChunk(k, index, !last, sealed)) {
    throw new AmurError(last ? 'vault.fileTruncated' : 'vault.fileExtended', { path, chunk: index });
  }
  throw new AmurError('vault.fileDamaged', { path, chunk: index });
}

/** The sealed size of a plaintext of `plainBytes` (what the store may record as the file's size). */
export function sealedSize(plainBytes: number, chunkLog2 = DEFAULT_CHUNK_LOG2): number {
  const cs = 2 ** chunkLog2;
  const chunks = Math.max(1, Math.ceil(plainBytes / cs));
  return HEADER_BYTES + plainBytes + chunks * TAG_BYTES;
}

/** The chunk layout of a sealed body of `bodyBytes`, or undefined when no layout has that length. */
function layout(bodyBytes: number, chunkSize: number): { chunks: number; plainBytes: number } | undefined {
  const full = chunkSize + TAG_BYTES;
  const whole = Math.floor(bodyBytes / full);
  const rest = bodyBytes % full;
  if (rest === 0) return whole === 0 ? undefined : { chunks: whole, plainBytes: whole * chunkSize };
  if (rest < TAG_BYTES) return undefined;
  return { chunks: whole + 1, plainBytes: whole * chunkSize + rest - TAG_BYTES };
}

function checkedLayout(k: FileKeys, bodyBytes: number, path: string): { chunks: number; plainBytes: number } {
  const l = layout(bodyBytes, k.chunkSize);
  // No chunk at all, or a last piece shorter than a tag: cut inside a chunk's tag, or after the header.
  if (!l) throw new AmurError('vault.fileTruncated', { path, chunk: Math.floor(bodyBytes / (k.chunkSize + TAG_BYTES)) });
  if (l.chunks > MAX_CHUNKS) throw new AmurError('vault.fileTooLarge', { path });
  return l;
}

// ---- buffers -------------------------------------------------------------------------------

/** Seals a whole buffer into the format above. */
export function sealBuffer(dataKey: Buffer, plain: Buffer, o: CipherOptions = {}): Buffer {
  const k = newFileKeys(dataKey, o);
  const chunks = Math.max(1, Math.ceil(plain.length / k.chunkSize));
  if (chunks > MAX_CHUNKS) throw new AmurError('vault.fileTooLarge', { path: o.name ?? 'buffer' });
  const parts: Buffer[] = [k.header];
  for (let i = 0; i < chunks; i++) {
    parts.push(...sealChunk(k, i, i === chunks - 1, plain.subarray(i * k.chunkSize, (i + 1) * k.chunkSize)));
  }
  return Buffer.concat(parts);
}

/** Opens a sealed buffer; an AmurError naming `o.name` and the reason when it does not open. */
export function openBuffer(dataKey: Buffer, sealed: Buffer, o: CipherOptions = {}): Buffer {
  const path = o.name ?? 'buffer';
  const k = parseHeader(dataKey, sealed, path, o);
  const l = checkedLayout(k, sealed.length - HEADER_BYTES, path);
  const out = Buffer.allocUnsafe(l.plainBytes);
  const step = k.chunkSize + TAG_BYTES;
  for (let i = 0; i < l.chunks; i++) {
    const start = HEADER_BYTES + i * step;
    const plain = openChunk(k, i, i === l.chunks - 1, sealed.subarray(start, Math.min(start + step, sealed.length)), path);
    plain.copy(out, i * k.chunkSize);
  }
  return out;
}

// ---- files and streams -----------------------------------------------------------------------

/**
 * A Transform that seals what flows through it. The last full chunk is held back until the next
 * byte (or the end) says whether it is the final one.
 */
export function createEncryptStream(dataKey: Buffer, o: CipherOptions = {}): Transform {
  const k = newFileKeys(dataKey, o);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  let headerSent = false;
  const take = (n: number): Buffer => {
    const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    pending = n < all.length ? [all.subarray(n)] : [];
    pendingBytes = all.length - n;
    return all.subarray(0, n);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        if (!headerSent) {
          this.push(k.header);
          headerSent = true;
        }
        pending.push(chunk);
        pendingBytes += chunk.length;
        const out: Buffer[] = [];
        while (pendingBytes > k.chunkSize) {
          if (index + 1 >= MAX_CHUNKS) throw new AmurError('vault.fileTooLarge', { path: o.name ?? 'stream' });
          out.push(...sealChunk(k, index++, false, take(k.chunkSize)));
        }
        if (out.length) this.push(Buffer.concat(out));
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb: TransformCallback) {
      if (!headerSent) this.push(k.header);
      this.push(Buffer.concat(sealChunk(k, index, true, take(pendingBytes))));
      cb();
    },
  });
}

/**
 * Encrypts src into dest, streaming (import copies files of any size this way) through two file
 * handles and one reused buffer of 16 chunks: a stream pipeline cost several times the copy. On
 * failure dest is removed, so a half-written file is never left behind, and the error names the file.
 */
export async function encryptFile(dataKey: Buffer, src: string, dest: string, o: CipherOptions = {}): Promise<{ bytes: number; sealedBytes: number }> {
  const k = newFileKeys(dataKey, o);
  let fin: FileHandle;
  try {
    fin = await open(src, 'r');
  } catch (e) {
    throw new AmurError('vault.fileReadFailed', { path: src, detail: (e as Error).message }, { cause: e });
  }
  let fout: FileHandle | undefined;
  let bytes = 0;
  let buf: Buffer | undefined;
  try {
    try {
      // 'wx': never over a file that is there (and so never remove one that was there before).
      fout = await open(dest, 'wx', 0o600);
    } catch (e) {
      throw new AmurError('vault.fileWriteFailed', { path: dest, detail: (e as Error).message }, { cause: e });
    }
    const batch = 16 * k.chunkSize;
    // Room for one held-back chunk plus a batch: the last full chunk waits until the next read
    // says whether it is the final one. Reused from file to file (an import seals thousands).
    buf = takeBuffer(batch + k.chunkSize);
    let have = 0;
    let index = 0;
    await writeAll(fout, [k.header], dest);
    for (;;) {
      let n: number;
      try {
        ({ bytesRead: n } = await fin.read(buf, have, batch, null));
      } catch (e) {
        throw new AmurError('vault.fileReadFailed', { path: src, detail: (e as Error).message }, { cause: e });
      }
      bytes += n;
      have += n;
      const eof = n === 0;
      const parts: Buffer[] = [];
      let off = 0;
      while (have - off > k.chunkSize) {
        if (index + 1 >= MAX_CHUNKS) throw new AmurError('vault.fileTooLarge', { path: src });
        parts.push(...sealChunk(k, index++, false, buf.subarray(off, off + k.chunkSize)));
        off += k.chunkSize;
      }
      if (eof) {
        parts.push(...sealChunk(k, index++, true, buf.subarray(off, have)));
        off = have;
      }
      if (parts.length) await writeAll(fout, parts, dest);
      buf.copy(buf, 0, off, have);
      have -= off;
      if (eof) break;
    }
    await fout.close();
    fout = undefined;
  } catch (e) {
    if (fout) {
      await fout.close().catch(() => undefined);
      await rm(dest, { force: true });
    } else if (!(e instanceof AmurError && e.code === 'vault.fileWriteFailed')) {
      await rm(dest, { force: true });
    }
    throw e;
  } finally {
    if (buf) giveBuffer(buf);
    await fin.close();
  }
  return { bytes, sealedBytes: sealedSize(bytes) };
}

// Batch buffers of encryptFile, kept for the next file: allocating a fresh megabyte per file made
// the garbage collector a fifth of an import's time. Plaintext passes through them, so a buffer
// is wiped when it is given back.
const spare: Buffer[] = [];
function takeBuffer(size: number): Buffer {
  const i = spare.findIndex((b) => b.length === size);
  return i >= 0 ? spare.splice(i, 1)[0]! : Buffer.allocUnsafe(size);
}
function giveBuffer(b: Buffer): void {
  b.fill(0);
  if (spare.length < 16) spare.push(b);
}

async function writeAll(fh: FileHandle, parts: Buffer[], path: string): Promise<void> {
  const want = parts.reduce((a, b) => a + b.length, 0);
  try {
    // A short write on a regular file means the disk is full: refused, not silently cut.
    const { bytesWritten } = await fh.writev(parts);
    if (bytesWritten !== want) throw new Error(`wrote ${bytesWritten} of ${want} bytes`);
  } catch (e) {
    throw new AmurError('vault.fileWriteFailed', { path, detail: (e as Error).message }, { cause: e });
  }
}

/** A sealed file and what opens it, as the store hands it to a reader (a worker thread included). */
export interface SealedFile {
  path: string;
  /** The data key it is sealed under (a copy: the reader may wipe it). */
  key: Buffer;
  /** Bound into its chunks (the SOP Instance UID for an instance). */
  context: string;
}

/** The plaintext of a sealed file of the store. */
export function readSealedFile(f: SealedFile): Promise<Buffer> {
  return decryptFile(Buffer.from(f.key), f.path, { context: f.context });
}

/** Whether a file starts as a sealed file does (its magic); a missing file throws, as reading it would. */
export function isSealedFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(MAGIC);
  } finally {
    closeSync(fd);
  }
}

/** A file to read: a sealed file of the store, or a plain file (a tool's input, a test's fixture). */
export type FileSource = SealedFile | string;

export function sourcePath(s: FileSource): string {
  return typeof s === 'string' ? s : s.path;
}

/** The bytes of a file to read, opened when it is sealed. */
export async function readSource(s: FileSource): Promise<Buffer> {
  if (typeof s !== 'string') return readSealedFile(s);
  try {
    return await readFile(s);
  } catch (e) {
    throw new AmurError('vault.fileReadFailed', { path: s, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { cause: e });
  }
}

/** readSource for a caller that cannot wait (a small header read inside a synchronous step). */
export function readSourceSync(s: FileSource): Buffer {
  const path = sourcePath(s);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new AmurError('vault.fileReadFailed', { path, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { cause: e });
  }
  return typeof s === 'string' ? bytes : openBuffer(Buffer.from(s.key), bytes, { context: s.context, name: path });
}

/** Decrypts a whole file into memory (the decoder reads whole files). */
export async function decryptFile(dataKey: Buffer, path: string, o: CipherOptions = {}): Promise<Buffer> {
  let sealed: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      sealed = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new AmurError('vault.fileReadFailed', { path, detail: (e as Error).message }, { cause: e });
  }
  return openBuffer(dataKey, sealed, { ...o, name: o.name ?? path });
}

/**
 * A readable stream of a file's plaintext, chunk by chunk: nothing leaves it before its chunk's
 * tag has verified, and a failure (an AmurError naming the file) ends the stream with an error.
 */
export function createDecryptStream(dataKey: Buffer, path: string, o: CipherOptions = {}): Readable {
  const name = o.name ?? path;
  async function* chunks(): AsyncGenerator<Buffer> {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw new AmurError('vault.fileReadFailed', { path: name, detail: (e as Error).message }, { cause: e });
    }
    try {
      const size = (await fh.stat()).size;
      const header = Buffer.alloc(Math.min(HEADER_BYTES, size));
      await readFully(fh, header, 0, name, 0);
      const k = parseHeader(dataKey, header, name, o);
      const l = checkedLayout(k, size - HEADER_BYTES, name);
      const step = k.chunkSize + TAG_BYTES;
      for (let i = 0; i < l.chunks; i++) {
        const start = HEADER_BYTES + i * step;
        const buf = Buffer.alloc(Math.min(step, size - start));
        await readFully(fh, buf, start, name, i);
        yield openChunk(k, i, i === l.chunks - 1, buf, name);
      }
    } finally {
      await fh.close();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

async function readFully(fh: FileHandle, buf: Buffer, position: number, name: string, chunk: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(buf, off, buf.length - off, position + off));
    } catch (e) {
      throw new AmurError('vault.fileReadFailed', { path: name, detail: (e as Error).message }, { cause: e });
    }
    // The file shrank while it was read: the same as a truncation at this point.
    if (n === 0) throw new AmurError('vault.fileTruncated', { path: name, chunk });
    off += n;
  }
}
