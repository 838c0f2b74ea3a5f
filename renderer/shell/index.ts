// The renderer's view of its host, whichever shell runs it: the contract's services (through the
// desktop shell's preload bridge or the browser shell's WebSocket) and the one thing that differs
// between shells, how chosen or dropped files reach the importer.
import { bridgeTransport, type ShellBridge } from '../../core/contract/bridge';
import { createServiceProxy } from '../../core/contract/proxy';
import type { AmurServices } from '../../core/contract/services';
import type { ImportSummary } from '../../core/contract/studies';
import { uploadAndImport, type ChosenFile } from './upload';
import { WebSocketTransport } from './ws-transport';

declare global {
  interface Window {
    amur?: ShellBridge;
  }
}

export type { ChosenFile } from './upload';

export type ShellKind = 'electron' | 'browser';

const bridge = typeof window !== 'undefined' ? window.amur : undefined;

export const shellKind: ShellKind = bridge ? 'electron' : 'browser';

const socket = bridge ? undefined : new WebSocketTransport(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
const transport = bridge ? bridgeTransport(bridge) : socket!;

/**
 * The connection to the host: always up in the desktop shell (same process tree); in the browser
 * shell the WebSocket to `amur serve`, which can be lost when the host stops.
 */
export function onDidChangeConnection(listener: (connected: boolean) => void): () => void {
  return socket ? socket.onDidChangeConnection(listener) : () => undefined;
}

/** Every service of the contract; import this, never a transport. */
export const services: AmurServices = createServiceProxy(transport);

/**
 * Imports what the user chose or dropped. The desktop shell passes the files' paths to the
 * importer; a browser page cannot see paths, so the browser shell uploads the files to its host,
 * which imports them from a private temporary folder. Progress arrives as onDidImportProgress in
 * both cases; `onUpload` reports the upload's own bytes.
 */
export async function importFiles(
  files: ChosenFile[],
  onUpload?: (sentBytes: number, totalBytes: number) => void,
): Promise<ImportSummary> {
  if (bridge) {
    const paths = [...new Set(files.map((f) => bridge.pathForFile(f.file)).filter((p) => p))];
    return services.studies.importPaths(paths);
  }
  return uploadAndImport(files, onUpload);
}
