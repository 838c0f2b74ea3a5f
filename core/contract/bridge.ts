// What the desktop shell's preload puts on `window.amur`. The preload is written against this
// type (`satisfies ShellBridge`) and the renderer reads it through the same type, so the two sides
// cannot drift apart. Results come in an envelope: Electron's IPC and contextBridge both drop an
// error's own properties, and the UI needs the error's code to say what went wrong in its language.
import { RemoteError, type ClientTransport, type WireError } from './proxy.js';
import type { Unsubscribe } from './services.js';

export type Envelope = { ok: true; value: unknown } | { ok: false; error: WireError };

export interface ShellBridge {
  /** Calls a method channel of the contract (others are refused). */
  invoke(channel: string, args: unknown[]): Promise<Envelope>;
  /** Listens to an event channel of the contract (others are refused). */
  listen(channel: string, listener: (value: unknown) => void): Unsubscribe;
  /** The file-system path of a file the user chose or dropped (Electron's webUtils.getPathForFile). */
  pathForFile(file: object): string;
}

/** The contract transport over the preload's bridge: envelopes opened, errors rebuilt with their code. */
export function bridgeTransport(bridge: ShellBridge): ClientTransport {
  return {
    async call(channel, args) {
      const res = await bridge.invoke(channel, args);
      if (res.ok) return res.value;
      throw new RemoteError(res.error);
    },
    listen: (channel, listener) => bridge.listen(channel, listener),
  };
}
