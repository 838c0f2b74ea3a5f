// The message format of the browser shell's WebSocket: JSON, plus binary attachments for typed
// arrays (pixel data must not be inflated into JSON number lists). A message without binary parts
// is a text frame of JSON; with binary parts it is one binary frame:
//   u32 little-endian length of the JSON header | JSON header (UTF-8) | the attachments, back to back
// The header is {"m": message, "l": [attachment byte lengths]}, each attachment in the message
// replaced by {"$bin": index, "type": "Uint16Array"}.
// Runs unchanged in Node (the host) and in the browser (the client).
import type { WireError } from './proxy.js';

export type ClientMessage =
  | { t: 'call'; id: number; channel: string; args: unknown[] }
  | { t: 'listen'; channel: string }
  | { t: 'unlisten'; channel: string };

export type HostMessage =
  | { t: 'result'; id: number; value: unknown }
  | { t: 'error'; id: number; error: WireError }
  | { t: 'event'; channel: string; value: unknown };

const TYPED = {
  Uint8Array, Int8Array, Uint8ClampedArray, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array,
} as const;
type TypedName = keyof typeof TYPED;

function typedName(v: ArrayBufferView): TypedName | undefined {
  for (const [name, ctor] of Object.entries(TYPED)) if (v instanceof ctor) return name as TypedName;
  return undefined;
}

export function encodeMessage(msg: ClientMessage | HostMessage): string | Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  const json = JSON.stringify(msg, function (this: unknown, _k, v: unknown) {
    if (v instanceof ArrayBuffer) {
      parts.push(new Uint8Array(v));
      return { $bin: parts.length - 1, type: 'ArrayBuffer' };
    }
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const type = typedName(v);
      if (type) {
        parts.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
        return { $bin: parts.length - 1, type };
      }
    }
    return v;
  });
  if (parts.length === 0) return json;
  // Lengths travel in the header so that the decoder can cut the attachments apart.
  return frame(`{"m":${json},"l":[${parts.map((p) => p.length).join(',')}]}`, parts);
}

function frame(json: string, parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const head = new TextEncoder().encode(json);
  const total = 4 + head.length + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let off = 4 + head.length;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function decodeMessage<T = ClientMessage | HostMessage>(data: string | Uint8Array): T {
  if (typeof data === 'string') return JSON.parse(data) as T;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headLen = view.getUint32(0, true);
  if (headLen > data.byteLength - 4) throw new Error('malformed message');
  const { m, l } = JSON.parse(new TextDecoder().decode(data.subarray(4, 4 + headLen))) as { m: unknown; l: number[] };
  const parts: Uint8Array[] = [];
  let off = 4 + headLen;
  for (const len of l) {
    if (off + len > data.byteLength) throw new Error('malformed message');
    parts.push(data.subarray(off, off + len));
    off += len;
  }
  return revive(m, parts) as T;
}

function revive(v: unknown, parts: Uint8Array[]): unknown {
  if (Array.isArray(v)) return v.map((x) => revive(x, parts));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$bin === 'number' && typeof o.type === 'string' && Object.keys(o).length === 2) {
      const bytes = parts[o.$bin];
      if (!bytes) throw new Error('malformed message');
      // A fresh, aligned copy: a Uint16Array cannot start at an odd offset of the frame.
      const copy = bytes.slice().buffer;
      if (o.type === 'ArrayBuffer') return copy;
      const ctor = TYPED[o.type as TypedName];
      if (!ctor) throw new Error('malformed message');
      return new ctor(copy, 0, copy.byteLength / ctor.BYTES_PER_ELEMENT);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x, parts)]));
  }
  return v;
}
