// The import as the worklist shows it: upload (browser shell only), then the importer's own
// progress from onDidImportProgress, then the summary with the rejected files.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ImportProgress, ImportSummary } from '../../core/contract/studies';
import { importFiles, services, type ChosenFile } from '../shell';

export type ImportState =
  | { phase: 'idle' }
  | { phase: 'uploading'; sent: number; total: number }
  | { phase: 'importing'; progress: ImportProgress | undefined }
  | { phase: 'done'; summary: ImportSummary }
  | { phase: 'failed'; error: unknown };

export function useImport(): { state: ImportState; finished: number; start(files: ChosenFile[]): Promise<void>; dismiss(): void } {
  const [state, setState] = useState<ImportState>({ phase: 'idle' });
  // How many imports have ended (done or failed): lets automated checks wait for *this* import.
  const [finished, setFinished] = useState(0);
  const running = useRef(false);

  useEffect(
    () =>
      services.studies.onDidImportProgress((progress) => {
        setState((s) => (s.phase === 'uploading' || s.phase === 'importing' ? { phase: 'importing', progress } : s));
      }),
    [],
  );

  const start = useCallback(async (files: ChosenFile[]) => {
    if (running.current || files.length === 0) return;
    running.current = true;
    setState({ phase: 'uploading', sent: 0, total: files.reduce((n, f) => n + f.file.size, 0) });
    try {
      const summary = await importFiles(files, (sent, total) => {
        setState((s) => {
          if (s.phase !== 'uploading') return s;
          return sent >= total ? { phase: 'importing', progress: undefined } : { phase: 'uploading', sent, total };
        });
      });
      setState({ phase: 'done', summary });
    } catch (error) {
      setState({ phase: 'failed', error });
    } finally {
      running.current = false;
      setFinished((n) => n + 1);
    }
  }, []);

  const dismiss = useCallback(() => setState({ phase: 'idle' }), []);
  return { state, finished, start, dismiss };
}

/** Files of a drop, folders walked (a browser page sees a folder only through its entries). */
export async function droppedFiles(dt: DataTransfer, withPaths: boolean): Promise<ChosenFile[]> {
  // The desktop shell resolves each dropped item (file or folder) to its path; no walking needed.
  if (withPaths) return [...dt.files].map((file) => ({ file, relativePath: file.name }));
  const out: ChosenFile[] = [];
  const entries: FileSystemEntry[] = [];
  for (const item of [...dt.items]) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry();
    if (entry) entries.push(entry);
    else {
      // Files put on the drag by a page (not by the desktop) come without a file-system entry.
      const file = item.getAsFile();
      if (file) out.push({ file, relativePath: file.name });
    }
  }
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ file, relativePath: prefix + entry.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns the folder in chunks; an empty chunk ends it.
      for (;;) {
        const chunk = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (chunk.length === 0) break;
        for (const e of chunk) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

export function chosenFiles(list: FileList | null): ChosenFile[] {
  return [...(list ?? [])].map((file) => ({ file, relativePath: file.webkitRelativePath || file.name }));
}
