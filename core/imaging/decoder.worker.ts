// A decoding thread: reads an instance file (opening the sealed files of the store, so that the
// decryption costs the host's thread nothing) and decodes the asked frame (or reads its planes, or
// reads it as a document), handing the pixels back
// by transfer (no copy). The last few parsed files stay in memory, because a multi-frame instance
// or a cine loop asks for frame after frame of the same file.
import { serveTasks, Transfer } from '../common/pool-worker.js';
import { readSource, sourcePath, type FileSource } from '../vault/file-cipher.js';
import { loadCodecs } from './codecs.js';
import { decodeImageFrame, parseInstance } from './decode.js';
import { readImagePlanes } from './pixel-module.js';
import type { DocumentContent, ImageFrame, ImagePlane } from '../contract/imaging.js';
import type { DecodeTask } from './decoder-pool.js';

const FILE_CACHE_BYTES = 64 * 1024 * 1024;
const files = new Map<string, Uint8Array>();
let cachedBytes = 0;

async function fileBytes(source: FileSource): Promise<Uint8Array> {
  const path = sourcePath(source);
  const hit = files.get(path);
  if (hit) {
    files.delete(path);
    files.set(path, hit);
    return hit;
  }
  const bytes = new Uint8Array(await readSource(source));
  // Only multi-frame-sized files are worth keeping; a single slice is read once.
  files.set(path, bytes);
  cachedBytes += bytes.length;
  for (const [k, v] of files) {
    if (cachedBytes <= FILE_CACHE_BYTES || k === path) break;
    files.delete(k);
    cachedBytes -= v.length;
  }
  return bytes;
}

// The codecs load before the worker says it is ready, so the first image a reader opens does not pay for them.
await serveTasks<DecodeTask, ImageFrame | ImagePlane[] | DocumentContent>(async ({ source, frame, read }) => {
  if (read === 'planes') {
    // A header is all a plane needs; the file is not kept (a series is read once, slice by slice).
    return readImagePlanes(parseInstance(new Uint8Array(await readSource(source)), sourcePath(source)).ds);
  }
  if (read === 'document') {
    // dcmjs is loaded by the first document asked for, not by every decoder at start-up.
    const { readDocument } = await import('./document.js');
    const doc = readDocument(new Uint8Array(await readSource(source)), sourcePath(source));
    return doc.kind === 'pdf' ? new Transfer<DocumentContent>(doc, [doc.bytes.buffer as ArrayBuffer]) : doc;
  }
  const decoded = await decodeImageFrame(await fileBytes(source), frame, sourcePath(source));
  return new Transfer<ImageFrame>(decoded, [decoded.pixels.buffer as ArrayBuffer]);
}, loadCodecs);
