// A TCP proxy between an Amur command and a real Orthanc that plays a bad network on request: it
// passes bytes through until told to cut, then, once a connection has carried a given number of
// bytes in one direction, resets it (RST, as a dropped link or a firewall does), or stalls it
// (keeps the socket open and forwards nothing more, as a link that hangs). Runs in the test process;
// the commands under test run in their own processes (spawned asynchronously) and go through it.
import net from 'node:net';

export type Direction = 'request' | 'response';

export interface Fault {
  /** Which way the bytes are counted: client → server (request) or server → client (response). */
  direction: Direction;
  /** Bytes that pass in that direction on one connection before the fault hits it. */
  afterBytes: number;
  action: 'reset' | 'stall';
  /** Only connections opened after the fault was set are cut; with once, only the first of them. */
  once?: boolean;
  /**
   * Bytes count only from the first request whose start matches (e.g. /^POST / for a STOW, not the
   * QIDO before it on the same kept-alive connection).
   */
  from?: RegExp;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT, to put in front of the upstream's path. */
  origin: string;
  port: number;
  /** Cut connections from now on (undefined: pass everything). */
  setFault(f: Fault | undefined): void;
  /** Connections the current fault has hit. */
  readonly hits: number;
  /** Resolves when the current fault has hit a connection. */
  hit(): Promise<void>;
  /** Closes every connection it holds (a stalled one included), as a peer that went away does. */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<FaultProxy> {
  let fault: Fault | undefined;
  let hits = 0;
  let waiters: (() => void)[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const armed = fault;
    const upstream = net.connect(upstreamPort, upstreamHost);
    sockets.add(client);
    sockets.add(upstream);
    const counts: Record<Direction, number> = { request: 0, response: 0 };
    let cut = false;
    let counting = !armed?.from;
    const strike = () => {
      cut = true;
      hits++;
      if (armed?.once) fault = undefined;
      for (const w of waiters) w();
      waiters = [];
      if (armed!.action === 'reset') {
        client.resetAndDestroy();
        upstream.destroy();
      }
      // stall: both sockets stay open; nothing more is forwarded either way.
    };
    const pipe = (from: net.Socket, to: net.Socket, dir: Direction) => {
      from.on('data', (chunk: Buffer) => {
        if (cut) return;
        if (!counting && dir === 'request' && armed!.from!.test(chunk.toString('latin1', 0, 32))) counting = true;
        if (armed && counting && armed.direction === dir && counts[dir] + chunk.length > armed.afterBytes) {
          const keep = Math.max(0, armed.afterBytes - counts[dir]);
          counts[dir] += keep;
          if (keep) to.write(chunk.subarray(0, keep));
          strike();
          return;
        }
        counts[dir] += chunk.length;
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => {
        if (!cut) to.end();
      });
    };
    pipe(client, upstream, 'request');
    pipe(upstream, client, 'response');
    const drop = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    // The upstream closing after its answer must not cut that answer's tail: what is still queued
    // for the client is flushed before the client's side closes (end, not destroy). Destroying here
    // dropped the last part and the closing boundary of a WADO answer now and then.
    upstream.on('close', () => {
      if (!cut) client.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    setFault(f) {
      fault = f;
      hits = 0;
    },
    get hits() {
      return hits;
    },
    hit() {
      if (hits > 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    dropAll() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
