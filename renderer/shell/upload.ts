// The browser shell's import: files go to the host one request each (streamed, so a study of a few
// gigabytes never sits in memory as one body), then the host imports the whole batch. File names
// travel in a header, never in the URL; the host's secret is the HttpOnly cookie.
import type { ImportSummary } from '../../core/contract/studies';
import { RemoteError } from '../../core/contract/proxy';

/**
 * A file to import and its path relative to what the user chose (a dropped folder keeps its tree).
 * Declared here, not in the shell's index, so that this module depends on nothing of the index:
 * the index imports the upload, never the other way round.
 */
export interface ChosenFile {
  file: File;
  relativePath: string;
}

const PARALLEL = 4;

async function checked(res: Response): Promise<Response> {
  if (res.ok) return res;
  let body: { code?: string; params?: Record<string, string | number> } = {};
  try { body = await res.json(); } catch { /* not JSON: report the status */ }
  throw new RemoteError({ code: body.code ?? 'shell.uploadFailed', params: body.params ?? { status: res.status }, message: `HTTP ${res.status}` });
}

export async function uploadAndImport(
  files: ChosenFile[],
  onUpload?: (sentBytes: number, totalBytes: number) => void,
): Promise<ImportSummary> {
  const { batch } = (await (await checked(await fetch('api/uploads', { method: 'POST' }))).json()) as { batch: string };
  const total = files.reduce((n, f) => n + f.file.size, 0);
  let sent = 0;
  onUpload?.(0, total);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      await checked(await fetch(`api/uploads/${batch}/files`, {
        method: 'PUT',
        headers: { 'X-Amur-Path': encodeURIComponent(f.relativePath), 'Content-Type': 'application/octet-stream' },
        body: f.file,
      }));
      sent += f.file.size;
      onUpload?.(sent, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, files.length) }, worker));
  return (await (await checked(await fetch(`api/uploads/${batch}/import`, { method: 'POST' }))).json()) as ImportSummary;
}
