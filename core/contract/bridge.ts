// What the desktop shell's preload puts on `window.amur`. The preload is written against this
// type (`satisfies ShellBridge`) and the renderer reads it through the same type, so the two sides
// cannot drift apart.
import type { ClientTransport } from './proxy.js';

export interface ShellBridge {
  /** The contract's channels, already restricted to those listed in `contract`. */
  transport: ClientTransport;
  /** The file-system path of a file the user chose or dropped (Electron's webUtils.getPathForFile). */
  pathForFile(file: object): string;
}
