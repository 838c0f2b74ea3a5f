// Serves the contract over one WebSocket connection: calls go to the channel table generated from
// `contract` (core/contract/proxy.ts), events are forwarded while the page listens. A channel that
// is not in the table is refused; arguments are checked before any service sees them.
import type { WebSocket } from 'ws';
import { toWireError, type ChannelHandler } from '../../core/contract/proxy.js';
import type { Unsubscribe } from '../../core/contract/services.js';
import { decodeMessage, encodeMessage, type ClientMessage, type HostMessage } from '../../core/contract/wire.js';

export function serveChannels(ws: WebSocket, handlers: ReadonlyMap<string, ChannelHandler>): void {
  const subscriptions = new Map<string, Unsubscribe>();
  const send = (msg: HostMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeMessage(msg));
  };

  ws.on('message', (data, isBinary) => {
    let msg: ClientMessage;
    try {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
      msg = decodeMessage<ClientMessage>(isBinary ? new Uint8Array(bytes) : bytes.toString('utf8'));
    } catch {
      ws.close(1003, 'malformed message');
      return;
    }
    if (msg?.t === 'call' && Number.isSafeInteger(msg.id)) {
      const h = handlers.get(msg.channel);
      if (!h || h.kind !== 'method') {
        send({ t: 'error', id: msg.id, error: { code: 'contract.unknownChannel', params: {}, message: 'unknown channel' } });
        return;
      }
      h.invoke(msg.args).then(
        (value) => send({ t: 'result', id: msg.id, value }),
        (e) => send({ t: 'error', id: msg.id, error: toWireError(e) }),
      );
    } else if (msg?.t === 'listen') {
      const h = handlers.get(msg.channel);
      if (!h || h.kind !== 'event' || subscriptions.has(msg.channel)) return;
      const channel = msg.channel;
      subscriptions.set(channel, h.subscribe((value) => send({ t: 'event', channel, value })));
    } else if (msg?.t === 'unlisten') {
      subscriptions.get(msg.channel)?.();
      subscriptions.delete(msg.channel);
    } else {
      ws.close(1003, 'malformed message');
    }
  });

  ws.on('close', () => {
    for (const u of subscriptions.values()) u();
    subscriptions.clear();
  });
}
