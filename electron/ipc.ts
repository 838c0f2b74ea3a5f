// Wires the contract to Electron's IPC, generated from `contract` like every other transport:
// one ipcMain.handle per method channel, events forwarded to each window. Each call is checked:
// the sender must be one of our windows showing our origin, the channel must be in the contract,
// the arguments must fit their declared shapes. Results travel in an envelope because Electron
// reduces a thrown error to its message, and the UI needs the error's code to translate it.
import type { Envelope } from '../core/contract/bridge.js';
import { createChannelHandlers, toWireError, type ChannelHandler } from '../core/contract/proxy.js';
import type { AmurServices, Unsubscribe } from '../core/contract/services.js';
import type { SenderInfo } from './security.js';


/** The part of ipcMain this module uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: any, ...args: any[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** The part of the IPC event the sender check reads. */
export interface IpcEventLike {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

export function senderInfo(event: IpcEventLike): SenderInfo {
  return {
    senderId: event.sender.id,
    frameUrl: event.senderFrame?.url,
    isMainFrame: !!event.senderFrame && event.senderFrame.parent === null,
  };
}

export function registerContractHandlers(
  ipcMain: IpcMainLike,
  services: AmurServices,
  trusted: (sender: SenderInfo) => boolean,
): { handlers: Map<string, ChannelHandler>; dispose(): void } {
  const handlers = createChannelHandlers(services);
  const registered: string[] = [];
  for (const [channel, h] of handlers) {
    if (h.kind !== 'method') continue;
    ipcMain.handle(channel, async (event: IpcEventLike, ...args: unknown[]): Promise<Envelope> => {
      if (!trusted(senderInfo(event))) {
        return { ok: false, error: { code: 'contract.untrustedSender', params: {}, message: 'untrusted sender' } };
      }
      try {
        return { ok: true, value: await h.invoke(args) };
      } catch (e) {
        return { ok: false, error: toWireError(e) };
      }
    });
    registered.push(channel);
  }
  return { handlers, dispose: () => registered.forEach((c) => ipcMain.removeHandler(c)) };
}

/** Sends every contract event to one window while it lives; returns the unsubscribe. */
export function forwardEvents(
  handlers: ReadonlyMap<string, ChannelHandler>,
  send: (channel: string, value: unknown) => void,
): Unsubscribe {
  const subs: Unsubscribe[] = [];
  for (const [channel, h] of handlers) {
    if (h.kind === 'event') subs.push(h.subscribe((value) => send(channel, value)));
  }
  return () => subs.forEach((u) => u());
}
