// A decoding thread: reads an instance file (opening the sealed files of the store, so that the
// decryption costs the host's thread nothing) and decodes the asked frame, handing the pixels back
// by transfer (no copy). The last few parsed files stay in memory, because a multi-frame instance
// or a cine loop asks for frame after frame of the same file.
import { parentPort } from 'node:worker_threads';
import { isAmurError } from '../common/errors.js';
import type { ImageFrame } from '../contract/imaging.js';
import { readSource, sourcePath, type FileSource } from '../vault/file-cipher.js';
import { loadCodecs } from './codecs.js';
import { decodeImageFrame } from './decode.js';

export interface DecodeRequest {
  id: number;
  source: FileSource;
  frame: number;
}
export type DecodeReply =
  | { id: number; frame: ImageFrame; error?: undefined }
  | { id: number; frame?: undefined; error: { code: string; params: Record<string, string | number> } };

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

parentPort!.on('message', async (req: DecodeRequest) => {
  try {
    const path = sourcePath(req.source);
    const frame = await decodeImageFrame(await fileBytes(req.source), req.frame, path);
    parentPort!.postMessage({ id: req.id, frame } satisfies DecodeReply, [frame.pixels.buffer as ArrayBuffer]);
  } catch (e) {
    const error = isAmurError(e)
      ? { code: e.code, params: e.params }
      : { code: 'internal', params: { detail: e instanceof Error ? e.message : String(e) } };
    parentPort!.postMessage({ id: req.id, error } satisfies DecodeReply);
  }
});
// Load the codecs now, so the first image a reader opens does not pay for it.
await loadCodecs();
parentPort!.postMessage({ ready: true });
