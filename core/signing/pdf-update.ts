// Adds an empty signature field to a finished PDF as an incremental update (ISO 32000-1 7.5.6), so
// the original bytes stay untouched: a signature dictionary with a /ByteRange placeholder and a
// zero-filled /Contents, a widget annotation on the first page, the AcroForm, and the updated
// catalog and page, followed by a new cross-reference section whose trailer points back (/Prev).
// Written for PDFs with classic cross-reference tables (what pdfkit writes, and what an earlier
// Amur signature appended); a file with cross-reference streams is refused rather than guessed at.
import { AmurError } from '../common/errors.js';

export const BYTE_RANGE_PLACEHOLDER = '/ByteRange [0 /********** /********** /**********]';

export interface PlaceholderOptions {
  name: string;
  reason: string;
  location: string;
  contactInfo: string;
  signingTime: Date;
  /** Bytes reserved for the CMS (the hex string is twice as long). */
  contentsLength: number;
  subFilter: string;
  path: string;
}

/** Text as a PDF text string: UTF-16BE with BOM, in hex (safe for Cyrillic and Chinese names). */
export function pdfText(s: string): string {
  const b = Buffer.from(s, 'utf16le');
  for (let i = 0; i + 1 < b.length; i += 2) {
    const x = b[i]!;
    b[i] = b[i + 1]!;
    b[i + 1] = x;
  }
  return `<FEFF${b.toString('hex').toUpperCase()}>`;
}

/** D:YYYYMMDDHHmmSSZ in UTC. */
export function pdfDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `(D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z)`;
}

interface Ref {
  num: number;
  gen: number;
}
const refText = (r: Ref) => `${r.num} ${r.gen} R`;

class PdfText {
  readonly text: string;
  constructor(
    readonly bytes: Buffer,
    readonly path: string,
  ) {
    this.text = bytes.toString('latin1');
  }

  fail(detail: string): never {
    throw new AmurError('signing.badPdf', { path: this.path, detail });
  }

  /** The latest definition of an object: in an updated file the newest one comes last. */
  objectBody(r: Ref): string {
    const re = new RegExp(`(^|[\\r\\n\\s])${r.num}\\s+${r.gen}\\s+obj\\b`, 'g');
    let last = -1;
    let bodyStart = -1;
    for (let m = re.exec(this.text); m; m = re.exec(this.text)) {
      last = m.index;
      bodyStart = m.index + m[0].length;
    }
    if (last < 0) this.fail(`object ${r.num} not found`);
    const end = this.text.indexOf('endobj', bodyStart);
    if (end < 0) this.fail(`object ${r.num} not closed`);
    return this.text.slice(bodyStart, end).trim();
  }
}

function refIn(dict: string, key: string): Ref | undefined {
  const m = new RegExp(`/${key}\\s+(\\d+)\\s+(\\d+)\\s+R`).exec(dict);
  return m ? { num: Number(m[1]), gen: Number(m[2]) } : undefined;
}

/** Adds `entry` just before the closing >> of a dictionary (replacing an existing key). */
function setKey(dict: string, key: string, value: string): string {
  const without = dict.replace(new RegExp(`/${key}\\s*(\\[[^\\]]*\\]|\\d+\\s+\\d+\\s+R|<<[^>]*>>|/[^\\s/>\\]]+)`), '');
  const close = without.lastIndexOf('>>');
  return `${without.slice(0, close).trimEnd()}\n/${key} ${value}\n>>`;
}

function arrayRefs(arrayText: string): string[] {
  return [...arrayText.matchAll(/(\d+)\s+(\d+)\s+R/g)].map((m) => `${m[1]} ${m[2]} R`);
}

export function addSignaturePlaceholder(pdf: Buffer, o: PlaceholderOptions): Buffer {
  const doc: PdfText = new PdfText(pdf, o.path);
  const text = doc.text;
  const sx = text.lastIndexOf('startxref');
  if (sx < 0) doc.fail('no startxref');
  const prevXref = Number(/startxref\s+(\d+)/.exec(text.slice(sx))?.[1]);
  if (!text.startsWith('xref', prevXref)) doc.fail('cross-reference streams are not supported');
  const trailerAt = text.lastIndexOf('trailer', sx);
  if (trailerAt < 0) doc.fail('no trailer');
  const trailer = text.slice(trailerAt, sx);
  const size = Number(/\/Size\s+(\d+)/.exec(trailer)?.[1]);
  const root = refIn(trailer, 'Root');
  if (!root || !size) doc.fail('trailer without /Root or /Size');
  const info = refIn(trailer, 'Info');
  const id = /\/ID\s*\[[^\]]*\]/.exec(trailer)?.[0];

  // First page: follow /Pages → /Kids until a /Page.
  const catalog = doc.objectBody(root);
  let node = refIn(catalog, 'Pages');
  let page: Ref | undefined;
  for (let depth = 0; node && depth < 32; depth++) {
    const body = doc.objectBody(node);
    if (/\/Type\s*\/Page\b(?!s)/.test(body)) {
      page = node;
      break;
    }
    const kids = /\/Kids\s*\[([^\]]*)\]/.exec(body)?.[1] ?? '';
    const first = /(\d+)\s+(\d+)\s+R/.exec(kids);
    node = first ? { num: Number(first[1]), gen: Number(first[2]) } : undefined;
  }
  if (!page) doc.fail('no page');
  const pageBody = doc.objectBody(page);

  // An existing AcroForm (a PDF signed before) keeps its fields.
  let fields: string[] = [];
  let acroForm: Ref | undefined = refIn(catalog, 'AcroForm');
  if (acroForm) fields = arrayRefs(/\/Fields\s*\[([^\]]*)\]/.exec(doc.objectBody(acroForm))?.[1] ?? '');
  else if (/\/AcroForm\s*<</.test(catalog)) doc.fail('inline AcroForm');

  let next = size;
  const sig: Ref = { num: next++, gen: 0 };
  const widget: Ref = { num: next++, gen: 0 };
  if (!acroForm) acroForm = { num: next++, gen: 0 };

  let annots: string[] = [];
  const annotsInline = /\/Annots\s*\[([^\]]*)\]/.exec(pageBody);
  const annotsRef = refIn(pageBody, 'Annots');
  if (annotsInline) annots = arrayRefs(annotsInline[1]!);
  else if (annotsRef) annots = arrayRefs(doc.objectBody(annotsRef));

  const objects: [Ref, string][] = [
    [
      sig,
      `<<\n/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /${o.subFilter}\n${BYTE_RANGE_PLACEHOLDER}\n` +
        `/Contents <${'0'.repeat(o.contentsLength * 2)}>\n/M ${pdfDate(o.signingTime)}\n/Name ${pdfText(o.name)}\n` +
        `/Reason ${pdfText(o.reason)}\n/Location ${pdfText(o.location)}\n/ContactInfo ${pdfText(o.contactInfo)}\n` +
        `/Prop_Build << /App << /Name /Amur >> >>\n>>`,
    ],
    [
      widget,
      `<<\n/Type /Annot\n/Subtype /Widget\n/FT /Sig\n/Rect [0 0 0 0]\n/V ${refText(sig)}\n` +
        `/T ${pdfText(`Signature${fields.length + 1}`)}\n/F 132\n/P ${refText(page)}\n>>`,
    ],
    [acroForm, `<<\n/Fields [${[...fields, refText(widget)].join(' ')}]\n/SigFlags 3\n>>`],
    [root, setKey(catalog, 'AcroForm', refText(acroForm))],
    [page, setKey(pageBody, 'Annots', `[${[...annots, refText(widget)].join(' ')}]`)],
  ];

  // Append the objects, then a cross-reference section listing exactly them.
  const base = pdf[pdf.length - 1] === 0x0a ? pdf : Buffer.concat([pdf, Buffer.from('\n')]);
  let body = '';
  const offsets = new Map<number, { offset: number; gen: number }>();
  for (const [r, content] of objects) {
    offsets.set(r.num, { offset: base.length + Buffer.byteLength(body, 'latin1'), gen: r.gen });
    body += `${r.num} ${r.gen} obj\n${content}\nendobj\n`;
  }
  const xrefOffset = base.length + Buffer.byteLength(body, 'latin1');
  const nums = [...offsets.keys()].sort((a, b) => a - b);
  let xref = 'xref\n';
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    xref += `${nums[i]} ${j - i + 1}\n`;
    for (let k = i; k <= j; k++) {
      const e = offsets.get(nums[k]!)!;
      xref += `${String(e.offset).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n \n`;
    }
    i = j + 1;
  }
  const newTrailer =
    `trailer\n<<\n/Size ${next}\n/Root ${refText(root)}\n` +
    `${info ? `/Info ${refText(info)}\n` : ''}${id ? `${id}\n` : ''}/Prev ${prevXref}\n>>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.concat([base, Buffer.from(body + xref + newTrailer, 'latin1')]);
}
