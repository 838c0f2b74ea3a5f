// A header-reading worker thread: reads one file's DICOM header per message and answers with the
// header or the error's code and parameters (AmurError does not survive structured cloning, so it
// is taken apart here and rebuilt by the pool).
import { parentPort } from 'node:worker_threads';
import { isAmurError } from '../common/errors.js';
import { readDicomHeaderFromFile } from '../dicom/header.js';
import type { HeaderReply, HeaderRequest } from './header-pool.js';

const port = parentPort!;
port.on('message', async ({ id, path }: HeaderRequest) => {
  let reply: HeaderReply;
  try {
    reply = { id, header: await readDicomHeaderFromFile(path) };
  } catch (e) {
    reply = isAmurError(e)
      ? { id, error: { code: e.code, params: e.params } }
      : { id, error: { code: 'internal', params: { detail: e instanceof Error ? e.message : String(e) } } };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
