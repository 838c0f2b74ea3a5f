// Reads a candidate file of an import on the calling thread, once, with synchronous I/O: the fast
// path of an import without a UI to keep responsive (the CLI, a benchmark). Most files a user hands
// over are small (a DICOM SR, a thumbnail, a note), and for them the promise-based file API costs
// many times the read itself: an open, a stat, a read and a close, each a round trip through the
// libuv thread pool, then the same again to seal the copy. Here the file is opened once, its first
// 64 KiB read, and only a file whose first bytes can begin a DICOM file is read further, so a
// folder of large non-DICOM files (videos, PDFs) costs one small read each. A file larger than
// WHOLE_LIMIT is left to the streaming reader and sealer, which never hold it whole.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AmurError } from '../common/errors.js';

/** The head read first: the header reader's own first chunk, which holds the header of nearly every file. */
export const HEAD_BYTES = 64 * 1024;
/** Files up to this size are read whole into memory; larger ones are streamed. */
export const WHOLE_LIMIT = 8 * 1024 * 1024;

export type Probe =
  /** The whole file, for the header reader and the sealer. */
  | { kind: 'bytes'; bytes: Buffer }
  /** A zip local file header: an archive whatever its name. */
  | { kind: 'zip' }
  /** Larger than WHOLE_LIMIT and possibly DICOM: to be read by streaming. */
  | { kind: 'large' };

/**
 * Probes a file. Throws 'dicom.notDicom' for a file larger than its head whose first bytes no DICOM
 * file starts with (the header reader would refuse it for the same bytes), 'dicom.unreadable'
 * naming the file when it cannot be read.
 */
export function probeFile(path: string): Probe {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    const size = fstatSync(fd).size;
    const head = readFully(fd, Math.min(size, HEAD_BYTES), 0);
    if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return { kind: 'zip' };
    // Shorter than the head: the whole file is in hand, and the header reader judges it.
    if (head.length < HEAD_BYTES || size <= HEAD_BYTES) return { kind: 'bytes', bytes: head };
    if (!mayStartDicom(head)) throw new AmurError('dicom.notDicom', { path });
    if (size > WHOLE_LIMIT) return { kind: 'large' };
    const rest = readFully(fd, size - head.length, head.length);
    return { kind: 'bytes', bytes: Buffer.concat([head, rest]) };
  } catch (e) {
    if (e instanceof AmurError) throw e;
    throw unreadable(path, e);
  } finally {
    closeSync(fd);
  }
}

/**
 * True when the bytes can begin a file the header reader accepts (core/dicom/header.ts parseBytes):
 * "DICM" after the 128-byte preamble, a meta group (0002,xxxx) without the preamble, or, for a bare
 * data set, a first element in group 0008 (little or big endian). Anything else it refuses as
 * 'dicom.notDicom' on these bytes alone.
 */
export function mayStartDicom(b: Buffer): boolean {
  if (b.length >= 132 && b.toString('latin1', 128, 132) === 'DICM') return true;
  if (b.length < 4) return true;
  const le = b.readUInt16LE(0);
  return le === 0x0002 || le === 0x0008 || b.readUInt16BE(0) === 0x0008;
}

function readFully(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break; // the file shrank under us: what we have is all there is
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

function unreadable(path: string, e: unknown): AmurError {
  const code = (e as NodeJS.ErrnoException)?.code;
  return new AmurError('dicom.unreadable', { path, detail: typeof code === 'string' ? code : String((e as Error)?.message ?? e) }, { cause: e });
}
