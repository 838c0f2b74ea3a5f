// The one generic mechanism that carries AmurServices across a process boundary (like VS Code's
// ProxyChannel): the UI side gets a proxy built from `contract`, the host side gets a table of
// handlers built from the same `contract`. Both transports (Electron IPC, loopback WebSocket) use
// these two functions, so a service added to `contract` travels over both with no further code.
import { channelName, contract, type AmurServices, type Unsubscribe } from './services.js';

/** What a transport must offer the UI side: call a method channel, listen to an event channel. */
export interface ClientTransport {
  call(channel: string, args: unknown[]): Promise<unknown>;
  listen(channel: string, listener: (value: unknown) => void): Unsubscribe;
}

/** Builds an object implementing every service of `contract` on top of a transport. */
export function createServiceProxy(transport: ClientTransport): AmurServices {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [service, entry] of Object.entries(contract) as [string, { methods: readonly string[]; events: readonly string[] }][]) {
    const proxy: Record<string, unknown> = {};
    for (const m of entry.methods) {
      const channel = channelName(service, m);
      proxy[m] = (...args: unknown[]) => transport.call(channel, args);
    }
    for (const e of entry.events) {
      const channel = channelName(service, e);
      proxy[e] = (listener: (value: unknown) => void) => transport.listen(channel, listener);
    }
    out[service] = proxy;
  }
  return out as unknown as AmurServices;
}

export interface MethodHandler {
  kind: 'method';
  service: string;
  member: string;
  invoke(args: unknown[]): Promise<unknown>;
}

export interface EventHandler {
  kind: 'event';
  service: string;
  member: string;
  subscribe(listener: (value: unknown) => void): Unsubscribe;
}

export type ChannelHandler = MethodHandler | EventHandler;

/**
 * The host side: every channel of `contract` mapped to the implementing service's member. A channel
 * that is not in this map is not part of the contract and must be refused by the transport.
 * Arguments are checked (see `checkArguments`) before the implementation sees them.
 */
export function createChannelHandlers(services: AmurServices): Map<string, ChannelHandler> {
  const table = new Map<string, ChannelHandler>();
  for (const [service, entry] of Object.entries(contract) as [string, { methods: readonly string[]; events: readonly string[] }][]) {
    const impl = (services as unknown as Record<string, Record<string, unknown>>)[service];
    if (!impl) throw new Error(`no implementation for service ${service}`);
    for (const m of entry.methods) {
      const fn = impl[m];
      if (typeof fn !== 'function') throw new Error(`service ${service} does not implement ${m}`);
      table.set(channelName(service, m), {
        kind: 'method',
        service,
        member: m,
        invoke: async (args) => {
          checkArguments(service, m, args);
          return (fn as (...a: unknown[]) => Promise<unknown>).apply(impl, args);
        },
      });
    }
    for (const e of entry.events) {
      const ev = impl[e];
      if (typeof ev !== 'function') throw new Error(`service ${service} does not implement ${e}`);
      table.set(channelName(service, e), {
        kind: 'event',
        service,
        member: e,
        subscribe: (listener) => (ev as (l: (v: unknown) => void) => Unsubscribe).call(impl, listener),
      });
    }
  }
  return table;
}

// ---- argument checks ----------------------------------------------------------------------------

/** A small shape language for arguments that cross the boundary. */
export type Shape =
  | 'string'
  | 'uid'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'bytes'
  | { optional: Shape }
  | { arrayOf: Shape; max?: number }
  | { object: Record<string, Shape> };

type MethodNames<S extends keyof AmurServices> = (typeof contract)[S]['methods'][number];

/**
 * Declared argument shapes per method. A method listed here gets its exact arity and shapes
 * checked; a method not (yet) listed still gets the generic check (plain data only, bounded size).
 * Services added later should list their methods here.
 */
export const argumentShapes: { [S in keyof AmurServices]?: { [M in MethodNames<S>]?: readonly Shape[] } } = {
  studies: {
    listStudies: [],
    listSeries: ['uid'],
    listInstances: ['uid'],
    importPaths: [{ arrayOf: 'string', max: 100_000 }],
  },
  imaging: {
    getImageFrame: ['uid', 'integer', { optional: { object: { prefetch: { optional: 'boolean' } } } }],
    getImagePlanes: [{ arrayOf: 'uid', max: 10_000 }],
    getDocument: ['uid'],
  },
  triage: {
    getStudyTriage: ['uid'],
    listStudyTriage: [],
    triageStudies: [{ arrayOf: 'uid', max: 10_000 }],
    listModels: [],
  },
  // saveDraft takes a whole draft: the generic plain-data check applies, and the host validates it
  // against its template before anything is written.
  reports: {
    listTemplates: [],
    createDraft: ['uid', { optional: { object: { templateId: { optional: 'string' }, reader: { optional: 'string' }, amends: { optional: 'uid' } } } }],
    listDrafts: ['uid'],
    getDraft: ['string'],
    listSigners: [],
    signingIdentity: ['string'],
    validateDraft: ['string', { optional: 'string' }],
    previewDraft: ['string', 'string'],
    retagDraft: ['string'],
    importSigner: ['bytes', 'string', { object: { name: 'string', fileName: { optional: 'string' } } }],
    signDraft: ['string', 'string', 'string'],
    listSignedReports: ['uid'],
    getSignedReportFile: ['uid', 'string'],
  },
  outbox: {
    listOutbox: [],
  },
};

export class ContractArgumentError extends Error {
  constructor(channel: string, detail: string) {
    super(`bad arguments for ${channel}: ${detail}`);
    this.name = 'ContractArgumentError';
  }
}

const UID = /^[0-9]+(\.[0-9]+)*$/;
const MAX_STRING = 64 * 1024;
const MAX_DEPTH = 8;

function matches(v: unknown, s: Shape): boolean {
  if (typeof s === 'string') {
    switch (s) {
      case 'string': return typeof v === 'string' && v.length <= MAX_STRING;
      case 'uid': return typeof v === 'string' && v.length <= 64 && UID.test(v);
      case 'number': return typeof v === 'number' && Number.isFinite(v);
      case 'integer': return Number.isSafeInteger(v);
      case 'boolean': return typeof v === 'boolean';
      case 'bytes': return v instanceof Uint8Array;
    }
  }
  if ('optional' in s) return v === undefined || v === null || matches(v, s.optional);
  if ('arrayOf' in s) return Array.isArray(v) && v.length <= (s.max ?? 10_000) && v.every((x) => matches(x, s.arrayOf));
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const rec = v as Record<string, unknown>;
  if (Object.keys(rec).some((k) => !(k in s.object))) return false;
  return Object.entries(s.object).every(([k, sub]) => matches(rec[k], sub));
}

/** Plain data only: no functions, symbols, class instances other than byte arrays, no deep nesting. */
function isPlainData(v: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  if (v === null || v === undefined) return true;
  switch (typeof v) {
    case 'string': return v.length <= MAX_STRING;
    case 'number': return Number.isFinite(v);
    case 'boolean': return true;
    case 'object':
      if (v instanceof Uint8Array) return true;
      if (Array.isArray(v)) return v.length <= 10_000 && v.every((x) => isPlainData(x, depth + 1));
      if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return false;
      return Object.values(v).every((x) => isPlainData(x, depth + 1));
    default: return false;
  }
}

/** Throws ContractArgumentError unless `args` fit the method's declared shapes (or plain data). */
export function checkArguments(service: string, method: string, args: unknown): void {
  const channel = channelName(service, method);
  if (!Array.isArray(args)) throw new ContractArgumentError(channel, 'not an argument list');
  const shapes = (argumentShapes as Record<string, Record<string, readonly Shape[]> | undefined>)[service]?.[method];
  if (!shapes) {
    if (args.length > 8 || !isPlainData(args)) throw new ContractArgumentError(channel, 'not plain data');
    return;
  }
  if (args.length > shapes.length) throw new ContractArgumentError(channel, `expected at most ${shapes.length} arguments`);
  shapes.forEach((s, i) => {
    if (!matches(args[i], s)) throw new ContractArgumentError(channel, `argument ${i + 1} has the wrong shape`);
  });
}

/** Errors cross the boundary as data: the AmurError code and params, so the UI can translate them. */
export interface WireError {
  code: string;
  params: Record<string, string | number>;
  message: string;
}

export function toWireError(e: unknown): WireError {
  const err = e as { code?: unknown; params?: unknown; message?: unknown; name?: unknown };
  if (e instanceof Error && typeof err.code === 'string' && err.name === 'AmurError') {
    return { code: err.code, params: (err.params ?? {}) as Record<string, string | number>, message: e.message };
  }
  if (e instanceof ContractArgumentError) return { code: 'contract.badArguments', params: {}, message: e.message };
  return { code: 'internal', params: { detail: e instanceof Error ? e.message : String(e) }, message: String(e) };
}

/** The error the UI side sees: code and params as thrown by the host. */
export class RemoteError extends Error {
  readonly code: string;
  readonly params: Record<string, string | number>;
  constructor(w: WireError) {
    super(w.message);
    this.name = 'RemoteError';
    this.code = w.code;
    this.params = w.params;
  }
}
