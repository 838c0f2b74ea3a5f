// The browser shell's side of the contract: the contract's channels over one WebSocket to the
// `amur serve` host. The host's secret travels as an HttpOnly cookie, so this code never sees it.
import type { ClientTransport } from '../../core/contract/proxy';
import { RemoteError } from '../../core/contract/proxy';
import { decodeMessage, encodeMessage, type ClientMessage, type HostMessage } from '../../core/contract/wire';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

export class WebSocketTransport implements ClientTransport {
  private socket: WebSocket | undefined;
  private opened: Promise<WebSocket> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(v: unknown) => void>>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly statusListeners = new Set<(connected: boolean) => void>();
  /** Unknown until the first connection attempt ends, so a refused first attempt is reported too. */
  private connected: boolean | undefined;

  /** Told when the connection to the host opens or is lost (the host stopped, the machine slept). */
  onDidChangeConnection(listener: (connected: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => void this.statusListeners.delete(listener);
  }

  private setConnected(v: boolean): void {
    if (this.connected === v) return;
    this.connected = v;
    for (const l of this.statusListeners) l(v);
  }

  constructor(private readonly url: string) {}

  private connect(): Promise<WebSocket> {
    if (this.opened) return this.opened;
    this.opened = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        this.socket = ws;
        this.setConnected(true);
        // Re-subscribe after a reconnect: listeners outlive one connection.
        for (const channel of this.listeners.keys()) this.send({ t: 'listen', channel });
        resolve(ws);
      };
      ws.onmessage = (ev) => this.receive(ev.data as string | ArrayBuffer);
      ws.onclose = () => {
        this.socket = undefined;
        this.opened = undefined;
        // Also when refused before opening (the host restarted with a new secret).
        this.setConnected(false);
        const err = new RemoteError({ code: 'shell.disconnected', params: {}, message: 'disconnected from the host' });
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        reject(err);
        // Keep event subscriptions alive across a host restart.
        if (this.listeners.size > 0 && !this.reconnectTimer) {
          this.reconnectTimer = setTimeout(() => {
            this.reconnectTimer = undefined;
            void this.connect().catch(() => undefined);
          }, 1000);
        }
      };
    });
    return this.opened;
  }

  private send(msg: ClientMessage): void {
    this.socket?.send(encodeMessage(msg));
  }

  private receive(data: string | ArrayBuffer): void {
    const msg = decodeMessage<HostMessage>(typeof data === 'string' ? data : new Uint8Array(data));
    if (msg.t === 'event') {
      for (const l of this.listeners.get(msg.channel) ?? []) l(msg.value);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.t === 'result') p.resolve(msg.value);
    else p.reject(new RemoteError(msg.error));
  }

  async call(channel: string, args: unknown[]): Promise<unknown> {
    await this.connect();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ t: 'call', id, channel, args });
    });
  }

  listen(channel: string, listener: (value: unknown) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.socket) this.send({ t: 'listen', channel });
      else void this.connect().catch(() => undefined);
    }
    set.add(listener);
    return () => {
      const s = this.listeners.get(channel);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) {
        this.listeners.delete(channel);
        this.send({ t: 'unlisten', channel });
      }
    };
  }
}
