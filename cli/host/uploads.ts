// The browser shell's import. A web page cannot give the host a file's path, so it sends the files:
// each into a private batch folder under AMUR_HOME/uploads, sealed as it arrives under a key that
// lives only in this host's memory (so no clear copy of a study is on the disk, even after a crash),
// then the host imports that folder with the key and removes it. Names are checked so that no
// upload lands outside its batch.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { ImportSummary } from '../../core/contract/studies.js';
import { createEncryptStream } from '../../core/vault/file-cipher.js';

/** Safe relative path segments from the client's name for an upload, or undefined. */
export function uploadSegments(encodedName: string | undefined): string[] | undefined {
  if (!encodedName) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(encodedName);
  } catch {
    return undefined;
  }
  if (name.includes('\0') || name.length > 4096) return undefined;
  const segments = name.split(/[\\/]/).filter((s) => s !== '');
  if (segments.length === 0 || segments.some((s) => s === '.' || s === '..' || /^[a-zA-Z]:$/.test(s) || s.length > 255)) return undefined;
  return segments;
}

export class UploadArea {
  readonly root: string;
  /** What every upload is sealed under; the importer opens them with it. */
  readonly key = randomBytes(32);
  private readonly batches = new Set<string>();

  constructor(home: string) {
    // One folder per host process, so two hosts on one AMUR_HOME never clean up each other's uploads.
    const base = join(home, 'uploads');
    sweepDeadHosts(base);
    this.root = join(base, `${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  newBatch(): string {
    const id = randomBytes(12).toString('hex');
    mkdirSync(join(this.root, id), { mode: 0o700 });
    this.batches.add(id);
    return id;
  }

  has(batch: string): boolean {
    return this.batches.has(batch);
  }

  dir(batch: string): string {
    return join(this.root, batch);
  }

  /** Stores one uploaded file; a second file of the same name (two dropped folders alike) gets a suffix. */
  async receive(batch: string, segments: string[], body: Readable): Promise<void> {
    const wanted = join(this.dir(batch), ...segments);
    mkdirSync(dirname(wanted), { recursive: true, mode: 0o700 });
    for (let n = 1; ; n++) {
      const file = n === 1 ? wanted : `${wanted}~${n}`;
      let out;
      try {
        // 'wx': never write through an existing name (or a link planted there).
        out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
        await new Promise<void>((resolve, reject) => {
          out!.once('open', () => resolve());
          out!.once('error', reject);
        });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' && n < 1000) continue;
        throw e;
      }
      // Its context is its path below the batch folder, as the importer's walk names it.
      const context = relative(this.dir(batch), file).split(sep).join('/');
      await pipeline(body, createEncryptStream(this.key, { context }), out);
      return;
    }
  }

  /** Imports the batch and removes it, whatever the outcome; rejected paths are made relative to it. */
  async importBatch(batch: string, importSealed: (dir: string, key: Buffer) => Promise<ImportSummary>): Promise<ImportSummary> {
    const dir = this.dir(batch);
    this.batches.delete(batch);
    try {
      const summary = await importSealed(dir, this.key);
      // The temporary folder means nothing to the reader; the name they chose does.
      const unbatch = (text: string) => text.split(dir + sep).join('');
      const unbatchParams = (params: Record<string, string>) => Object.fromEntries(Object.entries(params).map(([k, v]) => [k, unbatch(v)]));
      const rel = (path: string) => {
        const r = relative(dir, path);
        return !r || r.startsWith('..') ? undefined : r.split(sep).join('/');
      };
      const out: ImportSummary = {
        ...summary,
        rejected: summary.rejected.map((r) => {
          const path = rel(r.path);
          if (path === undefined) return r;
          return { ...r, path, reason: unbatch(r.reason), ...(r.params ? { params: unbatchParams(r.params) } : {}) };
        }),
      };
      if (summary.notices) {
        out.notices = summary.notices.map((n) => {
          const path = rel(n.path);
          return path === undefined ? n : { ...n, path, message: unbatch(n.message), params: unbatchParams(n.params) };
        });
      }
      return out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  close(): void {
    this.key.fill(0);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Removes upload folders of hosts that are no longer running (a crash leaves them behind). */
function sweepDeadHosts(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const n of names) {
    const pid = Number(n.split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(base, n), { recursive: true, force: true });
    }
  }
}
