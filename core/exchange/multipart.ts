// A streaming reader of multipart/related bodies (RFC 2046 5.1, as DICOMweb WADO-RS answers with
// one DICOM instance per part): parts come out as soon as their closing delimiter has arrived,
// whatever the chunking of the stream, so a 500-image study never has to be held in memory whole.

/** The boundary parameter of a multipart Content-Type, quoted or not; undefined when absent. */
export function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

type State = 'preamble' | 'headers' | 'body' | 'done';

export class MultipartReader {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = 'preamble';
  private headers: Record<string, string> = {};
  /** "--boundary" opening the body, and "CRLF--boundary" before every later part. */
  private readonly first: Buffer;
  private readonly delimiter: Buffer;
  /** Where the search for a delimiter resumes: earlier bytes are known not to start one. */
  private scanFrom = 0;

  constructor(boundary: string) {
    this.first = Buffer.from(`--${boundary}`, 'latin1');
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  /** Feeds bytes; returns the parts completed by them. */
  push(chunk: Buffer): Part[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const parts: Part[] = [];
    for (;;) {
      if (this.state === 'done') {
        this.buf = Buffer.alloc(0); // the epilogue is ignored
        return parts;
      }
      if (this.state === 'headers') {
        if (this.buf.length < 2) return parts;
        if (this.buf[0] === 13 && this.buf[1] === 10) {
          this.headers = {}; // no header lines: the body starts after the blank line
          this.buf = this.buf.subarray(2);
        } else {
          const end = this.buf.indexOf('\r\n\r\n', 0, 'latin1');
          if (end < 0) return parts;
          this.headers = parseHeaders(this.buf.subarray(0, end).toString('latin1'));
          this.buf = this.buf.subarray(end + 4);
        }
        this.state = 'body';
        this.scanFrom = 0;
        continue;
      }
      // preamble or body: look for the next delimiter.
      const opening = this.state === 'preamble';
      let at: number;
      let len: number;
      if (opening && this.buf.subarray(0, this.first.length).equals(this.first)) {
        at = 0;
        len = this.first.length;
      } else {
        at = this.buf.indexOf(this.delimiter, this.scanFrom);
        len = this.delimiter.length;
      }
      if (at < 0) {
        this.scanFrom = Math.max(0, this.buf.length - this.delimiter.length + 1);
        if (opening && this.buf.length < this.first.length) this.scanFrom = 0;
        return parts;
      }
      // The delimiter line ends with "--" (the last one) or with optional blanks and CRLF.
      const after = this.buf.subarray(at + len);
      const close = after.length >= 2 && after[0] === 45 && after[1] === 45;
      let crlf = -1;
      if (!close) {
        // Only transport padding (blanks) may stand between the boundary and its CRLF;
        // anything else means these bytes were part of the body after all.
        let i = 0;
        while (i < after.length && (after[i] === 32 || after[i] === 9)) i++;
        const incomplete =
          i >= after.length || // nothing but blanks yet
          (i === after.length - 1 && (after[i] === 13 || (i === 0 && after[0] === 45))); // "\r" or a first "-"
        if (incomplete) {
          this.scanFrom = at; // wait for the rest of the delimiter line
          return parts;
        }
        if (after[i] === 13 && after[i + 1] === 10) crlf = i;
        else {
          this.scanFrom = at + 1;
          continue;
        }
      }
      if (!opening) parts.push({ headers: this.headers, body: Buffer.from(this.buf.subarray(0, at)) });
      if (close) {
        this.state = 'done';
        continue;
      }
      this.buf = after.subarray(crlf + 2);
      this.state = 'headers';
    }
  }
}

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Writes parts as one multipart/related body (for STOW-RS). */
export function multipartBody(boundary: string, parts: { contentType: string; body: Buffer }[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${p.contentType}\r\n\r\n`, 'latin1'), p.body, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(chunks);
}
