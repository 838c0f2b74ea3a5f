// What dcmtk's dcmdump reads from a file: the reference toolkit the header reader is compared with.
// Values are taken from the top-level lines of `dcmdump +U8` (converted to UTF-8 by dcmtk itself).
// dcmtk's iconv build cannot convert ISO 2022 IR 87/159 (Japanese kanji); for those files pydicom,
// the second reference toolkit installed from Debian, gives the decoded text instead.
import { execFile, spawnSync } from 'node:child_process';

export interface ReferenceRead {
  /** Which toolkit produced the values. */
  tool: 'dcmdump' | 'pydicom';
  /** Top-level values by tag "ggggeeee" (upper case), padding removed as the toolkit prints them. */
  values: Map<string, string>;
  mediaStorageSOPClassUID?: string;
}

export type ReferenceResult = { ok: true; read: ReferenceRead } | { ok: false; error: string };

const LINE = /^\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\) (\w\w) (.*?)\s+#\s*\d+, *\d+ /;

function dcmdumpArgs(file: string, utf8: boolean): string[] {
  return ['-Un', '+L', '-M', ...(utf8 ? ['+U8'] : []), file];
}

export function dcmdump(file: string, utf8 = true): ReferenceResult {
  const r = spawnSync('dcmdump', dcmdumpArgs(file, utf8), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return parseDump(r.status ?? 1, r.stdout, r.stderr);
}

/** dcmdump over many files, a few processes at a time. */
export async function dcmdumpAll(files: string[], concurrency = 4): Promise<Map<string, ReferenceResult>> {
  const out = new Map<string, ReferenceResult>();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const result = await new Promise<ReferenceResult>((resolve, reject) => {
        execFile('dcmdump', dcmdumpArgs(file, true), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') reject(err);
          else resolve(parseDump(err ? Number(err.code) : 0, stdout, stderr));
        });
      });
      out.set(file, result);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

function parseDump(status: number, stdout: string, stderr: string): ReferenceResult {
  if (status !== 0) return { ok: false, error: (stderr || stdout).trim() };
  const values = new Map<string, string>();
  let mediaStorageSOPClassUID: string | undefined;
  for (const line of stdout.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const tag = (m[1] + m[2]).toUpperCase();
    const raw = m[4];
    let value = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw === '(no value available)' ? '' : raw;
    // An element dcmtk could only read as UN (a file whose data set contradicts its transfer syntax)
    // is printed as hex bytes; those bytes are the value, shown as text the way the file holds it.
    if ((m[3] === 'UN' || m[3] === 'OB') && /^[0-9a-f]{2}(\\[0-9a-f]{2})*$/.test(value)) {
      value = Buffer.from(value.split('\\').map((h) => parseInt(h, 16))).toString('latin1').replace(/[\0 ]+$/, '');
    }
    if (tag === '00020002') mediaStorageSOPClassUID = value;
    if (!values.has(tag)) values.set(tag, value);
  }
  return { ok: true, read: { tool: 'dcmdump', values, mediaStorageSOPClassUID } };
}

const PYDICOM_SCRIPT = `
import json, sys, pydicom
from pydicom.multival import MultiValue
keywords = sys.argv[1].split(',')
for f in sys.argv[2:]:
    try:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        out = {}
        for kw in keywords:
            if kw in ds:
                v = ds[kw].value
                tag = '%08X' % ds[kw].tag
                out[tag] = '' if v is None else '\\\\'.join(str(x) for x in v) if isinstance(v, MultiValue) else str(v)
        print(json.dumps({'file': f, 'values': out}, ensure_ascii=False))
    except Exception as e:
        print(json.dumps({'file': f, 'error': repr(e)}))
`;

/** pydicom's reading of the given keywords (Debian's python3-pydicom, run by /usr/bin/python3). */
export function pydicomRead(files: string[], keywords: readonly string[]): Map<string, ReferenceResult> {
  const out = new Map<string, ReferenceResult>();
  if (files.length === 0) return out;
  const r = spawnSync('/usr/bin/python3', ['-c', PYDICOM_SCRIPT, keywords.join(','), ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pydicom failed: ${r.stderr}`);
  for (const line of r.stdout.trim().split('\n')) {
    const j = JSON.parse(line) as { file: string; values?: Record<string, string>; error?: string };
    out.set(j.file, j.error !== undefined
      ? { ok: false, error: j.error }
      : { ok: true, read: { tool: 'pydicom', values: new Map(Object.entries(j.values ?? {})) } });
  }
  return out;
}

/** dcmtk could read the file but not convert its character set to UTF-8 (its iconv lacks the set). */
export function isCharsetConversionFailure(error: string): boolean {
  return /character encoding|not supported by the utilized character set conversion/i.test(error);
}
