// The desktop shell's preload: puts on window.amur exactly the contract's channels (generated from
// `contract`, nothing else) and the path of a chosen or dropped file. Runs sandboxed, so it is
// bundled into one CommonJS file (see build-preload.ts) and uses only what Electron allows there.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { Envelope, ShellBridge } from '../core/contract/bridge.js';
import { channelName, contract } from '../core/contract/services.js';

const methods = new Set<string>();
const events = new Set<string>();
for (const [service, entry] of Object.entries(contract) as [string, { methods: readonly string[]; events: readonly string[] }][]) {
  for (const m of entry.methods) methods.add(channelName(service, m));
  for (const e of entry.events) events.add(channelName(service, e));
}

const bridge = {
  async invoke(channel: string, args: unknown[]): Promise<Envelope> {
    if (!methods.has(channel) || !Array.isArray(args)) {
      return { ok: false, error: { code: 'contract.unknownChannel', params: {}, message: `not a contract method: ${channel}` } };
    }
    return (await ipcRenderer.invoke(channel, ...args)) as Envelope;
  },
  listen(channel: string, listener: (value: unknown) => void): () => void {
    if (!events.has(channel)) throw new Error(`not a contract event: ${channel}`);
    // The page never sees Electron's event object (it would expose the sender).
    const h = (_e: unknown, value: unknown) => listener(value);
    ipcRenderer.on(channel, h);
    return () => void ipcRenderer.removeListener(channel, h);
  },
  pathForFile: (file: object) => webUtils.getPathForFile(file as File),
} satisfies ShellBridge;

contextBridge.exposeInMainWorld('amur', bridge);
