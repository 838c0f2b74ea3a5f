// A DICOMweb client (PS3.18) for the exchange point and for a hospital PACS that speaks DICOMweb:
// QIDO-RS searches, WADO-RS retrieval streamed one instance at a time through the multipart
// reader, STOW-RS storage with the per-instance outcome read from the response. It runs on
// node:http(s) so that a client certificate, a private CA and TLS 1.2+ apply to every request, and
// every failure becomes a translated AmurError naming the host and the reason (never the
// credentials, never a patient attribute).
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import { AmurError } from '../common/errors.js';
import { boundaryOf, MultipartReader, multipartBody } from './multipart.js';

/** How an endpoint is opened: basic auth and, for HTTPS, a private CA and a client certificate (PEM). */
export interface Credentials {
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

export interface DicomWebOptions extends Credentials {
  /** The DICOMweb root, e.g. https://exchange.example:8443/dicom-web */
  url: string;
  /** Idle time after which a request is given up (ms). */
  timeoutMs?: number;
}

/** A DICOM JSON dataset (PS3.18 F.2) as QIDO-RS returns it. */
export type DicomJson = Record<string, { vr?: string; Value?: unknown[] }>;

export interface StoreResult {
  stored: string[];
  failed: { sop: string; reason: string }[];
}

const SOP_UID = '00081155';
const FAILURE_REASON = '00081197';

export class DicomWebClient {
  private readonly root: URL;
  private readonly options: DicomWebOptions;

  constructor(options: DicomWebOptions) {
    this.options = options;
    this.root = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    if (this.root.username || this.root.password) {
      // Credentials in a URL end up in logs and process lists: refuse them.
      throw new AmurError('exchange.credentialsInUrl', { host: this.root.host });
    }
  }

  /** host:port, for messages. */
  get host(): string {
    return this.root.host;
  }

  searchStudies(query: Record<string, string> = {}, includefield: string[] = []): Promise<DicomJson[]> {
    return this.search('studies', query, includefield);
  }

  searchSeries(study: string, query: Record<string, string> = {}): Promise<DicomJson[]> {
    return this.search(`studies/${enc(study)}/series`, query, []);
  }

  searchInstances(study: string, series?: string, query: Record<string, string> = {}): Promise<DicomJson[]> {
    const path = series ? `studies/${enc(study)}/series/${enc(series)}/instances` : `studies/${enc(study)}/instances`;
    return this.search(path, query, []);
  }

  /**
   * Every instance of a study, one at a time as the multipart answer arrives; the next part is
   * read only after onInstance has settled, so a slow consumer slows the transfer, not the memory.
   */
  async retrieveStudyInstances(study: string, onInstance: (bytes: Buffer) => Promise<void>): Promise<number> {
    return this.retrieve(`studies/${enc(study)}`, onInstance);
  }

  async retrieveInstance(study: string, series: string, sop: string): Promise<Buffer> {
    let out: Buffer | undefined;
    await this.retrieve(`studies/${enc(study)}/series/${enc(series)}/instances/${enc(sop)}`, async (b) => {
      out ??= b;
    });
    if (!out) throw new AmurError('exchange.empty', { host: this.host });
    return out;
  }

  /** STOW-RS; the outcome of every instance comes back, a refusal of the whole request throws. */
  async store(instances: Buffer[], study?: string): Promise<StoreResult> {
    const boundary = `amur-${randomUUID()}`;
    const body = multipartBody(boundary, instances.map((b) => ({ contentType: 'application/dicom', body: b })));
    const res = await this.send('POST', study ? `studies/${enc(study)}` : 'studies', {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      Accept: 'application/dicom+json',
      'Content-Length': body.length,
    }, body, [200, 202, 409]);
    const text = await readText(res, this.host);
    let answer: DicomJson = {};
    if (text.trim()) {
      try {
        answer = JSON.parse(text) as DicomJson;
      } catch (e) {
        throw new AmurError('exchange.badAnswer', { host: this.host }, { cause: e });
      }
    }
    const seq = (tag: string) => (answer[tag]?.Value ?? []) as DicomJson[];
    const stored = seq('00081199').map((i) => String(i[SOP_UID]?.Value?.[0] ?? ''));
    const failed = seq('00081198').map((i) => ({
      sop: String(i[SOP_UID]?.Value?.[0] ?? ''),
      reason: `0x${Number(i[FAILURE_REASON]?.Value?.[0] ?? 0).toString(16).toUpperCase().padStart(4, '0')}`,
    }));
    if (res.statusCode === 409 && !failed.length) failed.push({ sop: '', reason: '409' });
    return { stored, failed };
  }

  private async search(path: string, query: Record<string, string>, includefield: string[]): Promise<DicomJson[]> {
    const q = new URLSearchParams(query);
    for (const f of includefield) q.append('includefield', f);
    const qs = q.toString();
    const res = await this.send('GET', qs ? `${path}?${qs}` : path, { Accept: 'application/dicom+json' }, undefined, [200, 204]);
    const text = await readText(res, this.host);
    if (!text.trim()) return [];
    try {
      const v = JSON.parse(text) as unknown;
      if (!Array.isArray(v)) throw new Error('not an array');
      return v as DicomJson[];
    } catch (e) {
      throw new AmurError('exchange.badAnswer', { host: this.host }, { cause: e });
    }
  }

  private async retrieve(path: string, onInstance: (bytes: Buffer) => Promise<void>): Promise<number> {
    const res = await this.send('GET', path, { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' }, undefined, [200]);
    const boundary = boundaryOf(String(res.headers['content-type'] ?? ''));
    if (!boundary) {
      res.resume();
      throw new AmurError('exchange.badAnswer', { host: this.host });
    }
    const reader = new MultipartReader(boundary);
    let n = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        for (const part of reader.push(chunk)) {
          n++;
          await onInstance(part.body);
        }
      }
    } catch (e) {
      if (e instanceof AmurError) throw e;
      throw networkError(e, this.host);
    }
    if (!reader.finished) throw new AmurError('exchange.truncated', { host: this.host, received: n });
    return n;
  }

  /** One request; resolves with the response once its status is one of `ok`. */
  private send(method: string, path: string, headers: OutgoingHttpHeaders, body: Buffer | undefined, ok: number[]): Promise<IncomingMessage> {
    const url = new URL(path, this.root);
    const o = this.options;
    const https = url.protocol === 'https:';
    const auth = o.username !== undefined ? { Authorization: `Basic ${Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64')}` } : {};
    const timeout = o.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          method,
          headers: { ...headers, ...auth },
          timeout,
          ...(https ? { ca: o.ca, cert: o.cert, key: o.key, minVersion: 'TLSv1.2' as const } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (ok.includes(status)) {
            res.setTimeout(timeout, () => res.destroy(Object.assign(new Error('idle'), { code: 'ETIMEDOUT' })));
            resolve(res);
            return;
          }
          res.resume();
          if (status === 401 || status === 403) reject(new AmurError('exchange.unauthorized', { host: this.host, status }));
          else reject(new AmurError('exchange.http', { host: this.host, status, method }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(networkError(e, this.host)));
      req.end(body);
    });
  }
}

function enc(uid: string): string {
  return encodeURIComponent(uid);
}

async function readText(res: IncomingMessage, host: string): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  } catch (e) {
    throw networkError(e, host);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const TLS_CODES = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|EPROTO|HOSTNAME_MISMATCH|ERR_OSSL)/;

/** A failure of the network or of TLS, as the user should read it. */
export function networkError(e: unknown, host: string): AmurError {
  const code = String((e as { code?: string })?.code ?? '');
  const detail = e instanceof Error ? e.message.replace(/\/\/[^@/\s]*@/g, '//') : String(e);
  if (TLS_CODES.test(code) || /certificate|handshake|alert/i.test(detail)) return new AmurError('exchange.tls', { host, detail }, { cause: e });
  if (code === 'ETIMEDOUT') return new AmurError('exchange.timeout', { host }, { cause: e });
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || /aborted|socket hang up/i.test(detail)) {
    return new AmurError('exchange.reset', { host }, { cause: e });
  }
  return new AmurError('exchange.unreachable', { host, detail: code || detail }, { cause: e });
}
