// A decoding thread: reads an instance file (opening the sealed files of the store, so that the
// decryption costs the host's thread nothing) and decodes the asked frame, handing the pixels back
// by transfer (no copy). The last few parsed files stay in memory, because a multi-frame instance
// or a cine loop asks for frame after frame of the same file.
import { serveTasks, Transfer } from '../common/pool-worker.js';
import { readSource, sourcePath, type FileSource } from '../vault/file-cipher.js';
import { loadCodecs } from './codecs.js';
import { decodeImageFrame } from './decode.js';
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
await serveTasks(async ({ source, frame }: DecodeTask) => {
  const decoded = await decodeImageFrame(await fileBytes(source), frame, sourcePath(source));
  return new Transfer(decoded, [decoded.pixels.buffer as ArrayBuffer]);
}, loadCodecs);
