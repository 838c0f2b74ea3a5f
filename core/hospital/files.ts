// The reports the hospital side keeps under AMUR_HOME/hospital/: the reader's original of every
// report that came back, byte for byte as it arrived (archive/<agreement>/<SOP>.dcm when it was
// filed, rejected/<agreement>/<SOP>.dcm when it was kept aside with the reason). Each is a
// partner's report on a patient, so it is sealed (core/vault/file-cipher.ts) under the master
// key's subkey 'hospital-files/1', its agreement and SOP Instance UID bound into every chunk (a
// kept report cannot be swapped for another); it is verified and re-identified in memory and
// never written in clear. `amur hospital original` gives one back, as received, to verify it.
//
// Reports an earlier version kept in clear are sealed in place, once (HospitalState runs it on
// its first open): sealed aside, then renamed over the clear file, so a crash leaves either the
// clear file (sealed on the next open) or the sealed one. The clear temp files that version
// left in hospital/ after a crash are removed. The clear originals' disk blocks are not erased.
import { audit } from '../audit/index.js';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AmurError } from '../common/errors.js';
import { isProcessAlive } from '../common/lock.js';
import { isSealedFile, openBuffer, sealBuffer } from '../vault/file-cipher.js';
import { replaceFile } from '../common/fs.js';
import { vaultKey } from '../vault/session.js';

/** The master key's subkey the kept reports are sealed with (core/vault/keys.ts deriveKey). */
export const HOSPITAL_FILES_PURPOSE = 'hospital-files/1';

export type KeptKind = 'archive' | 'rejected';
const KINDS: readonly KeptKind[] = ['archive', 'rejected'];

/** A DICOM UID (PS3.5 9.1): what may name a kept file. */
const UID_RE = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/;

export function isUid(s: string): boolean {
  return s.length > 0 && s.length <= 64 && UID_RE.test(s);
}

/** Where the report `sop` of an agreement is kept (the SOP Instance UID must be a UID: it names the file). */
export function keptPath(hospitalDir: string, kind: KeptKind, agreementId: string, sop: string): string {
  if (!isUid(sop)) throw new AmurError('hospital.badUid', { uid: sop.slice(0, 80) });
  return join(hospitalDir, kind, agreementId, `${sop}.dcm`);
}

const contextOf = (agreementId: string, sop: string) => `amur-hospital-report/1\u0000${agreementId}\u0000${sop}`;

function withKey<T>(home: string, f: (key: Buffer) => T): T {
  const key = vaultKey(home).deriveKey(HOSPITAL_FILES_PURPOSE);
  try {
    return f(key);
  } finally {
    key.fill(0);
  }
}

/** Writes `data` to path through a sibling temp file, fsynced, renamed over: never half a file. */
function writeReplacing(path: string, data: Buffer): void {
  try {
    replaceFile(path, data, { durable: true });
  } catch (e) {
    throw new AmurError('hospital.keepFailed', { path, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { cause: e });
  }
}

/** Seals a received report under the home's key and keeps it at `path` (see keptPath). */
export function keepReport(home: string, path: string, agreementId: string, sop: string, bytes: Uint8Array): void {
  const sealed = withKey(home, (key) => sealBuffer(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { context: contextOf(agreementId, sop), name: path }));
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeReplacing(path, sealed);
}

/** The bytes of a kept report, as they arrived from the exchange. */
export function readKeptReport(home: string, path: string, agreementId: string, sop: string): Buffer {
  let sealed: Buffer;
  try {
    sealed = readFileSync(path);
  } catch (e) {
    throw new AmurError('hospital.keptMissing', { sop, agreement: agreementId }, { cause: e });
  }
  return withKey(home, (key) => openBuffer(key, sealed, { context: contextOf(agreementId, sop), name: path }));
}


function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Seals every kept report still in clear under `hospitalDir` (see the top of this file) and
 * removes the clear temp files of processes that are gone; returns how many reports it sealed.
 */
export function sealClearReports(home: string, hospitalDir: string): number {
  // The earlier version's receive wrote each report to hospital/.<pid>.<SOP>.dcm before checking it.
  for (const name of entries(hospitalDir)) {
    const m = /^\.(\d+)\..+\.dcm$/.exec(name);
    if (m && !isProcessAlive(Number(m[1]))) rmSync(join(hospitalDir, name), { force: true });
  }
  let sealed = 0;
  for (const kind of KINDS) {
    for (const agreementId of entries(join(hospitalDir, kind))) {
      const dir = join(hospitalDir, kind, agreementId);
      for (const name of entries(dir)) {
        const path = join(dir, name);
        const tmp = /^(.+)\.dcm\.(\d+)\.tmp$/.exec(name);
        if (tmp) {
          if (!isProcessAlive(Number(tmp[2]))) rmSync(path, { force: true });
          continue;
        }
        const sop = /^(.+)\.dcm$/.exec(name)?.[1];
        if (!sop || !isUid(sop) || isSealedFile(path)) continue;
        keepReport(home, path, agreementId, sop, readFileSync(path));
        sealed++;
      }
    }
  }
  if (sealed) {
    audit(home, { action: 'key.change', outcome: 'success', role: 'system', detail: { operation: 'hospital.encrypt', files: sealed } });
  }
  return sealed;
}
