// A file of one study that the workstation keeps under AMUR_HOME/reports: a draft, a signed report's
// files, the draft a report was signed from. Each is sealed under its study's own data key (the
// store's file format, core/vault/file-cipher.ts), so that purging the study, which shreds the key,
// leaves it unreadable wherever its bytes remain.
//
// A reader often knows only a draft id or a report's folder, not the study whose key opens the
// file, and the study's UID must not lie in clear beside it either. So the file starts with the
// study's UID sealed under a subkey of the home's master key ("report-locator/1"), then the body:
//
//   magic 89 'A' 'M' 'R' 'F' 0D 0A 1A | version 1 | locator length (u16 BE) | locator | body
//
// The locator is sealSmall (AES-256-GCM, random nonce) with the file's context in its AAD; the
// body is sealed with the same context bound into every chunk. The context names what the file is
// ("draft:<draftId>", "signed:<SR UID>:<file name>"), never where it lies, so that a file put in
// another's place does not open as that one. After a shred the locator still opens (it says only
// which study, as the audit trail does), and the body is refused with 'vault.studyKeyGone'.
import { readFileSync } from 'node:fs';
import { AmurError } from '../common/errors.js';
import type { StudyStore } from '../store/store.js';
import { openSmall, sealSmall } from '../vault/keys.js';
import { vaultKey } from '../vault/session.js';

export const STUDY_FILE_MAGIC = Buffer.from([0x89, 0x41, 0x4d, 0x52, 0x46, 0x0d, 0x0a, 0x1a]);
const VERSION = 1;
const PREFIX_BYTES = STUDY_FILE_MAGIC.length + 1 + 2;
const LOCATOR_PURPOSE = 'report-locator/1';

/** What a study file needs of the store: the home (whose master key seals the locator) and the study keys. */
export type StudyKeys = Pick<StudyStore, 'home' | 'sealForStudy' | 'openForStudy'>;

/** Whether bytes start as a study file does (a signed report kept here, not a clear export). */
export function isStudyFile(bytes: Buffer): boolean {
  return bytes.length >= STUDY_FILE_MAGIC.length && bytes.subarray(0, STUDY_FILE_MAGIC.length).equals(STUDY_FILE_MAGIC);
}

/** The context of a file of a signed report kept under AMUR_HOME/reports/signed/<SR UID>/. */
export function signedFileContext(srInstanceUID: string, file: string): string {
  return `signed:${srInstanceUID}:${file}`;
}

export class StudyFiles {
  constructor(private readonly keys: StudyKeys) {}

  /** Seals bytes of a study as `context`. */
  seal(StudyInstanceUID: string, context: string, plain: Buffer): Buffer {
    const locator = sealSmall(this.locatorKey(), Buffer.from(StudyInstanceUID, 'utf8'), locatorAad(context));
    const prefix = Buffer.alloc(PREFIX_BYTES);
    STUDY_FILE_MAGIC.copy(prefix);
    prefix[STUDY_FILE_MAGIC.length] = VERSION;
    prefix.writeUInt16BE(locator.length, STUDY_FILE_MAGIC.length + 1);
    return Buffer.concat([prefix, locator, this.keys.sealForStudy(StudyInstanceUID, context, plain)]);
  }

  /** The study a sealed file belongs to, without opening its body; `name` names it in errors. */
  studyOf(sealed: Buffer, context: string, name: string): string {
    return this.split(sealed, context, name).StudyInstanceUID;
  }

  /** Opens a sealed file: its study and its plaintext. */
  open(sealed: Buffer, context: string, name: string): { StudyInstanceUID: string; plain: Buffer } {
    const { StudyInstanceUID, body } = this.split(sealed, context, name);
    return { StudyInstanceUID, plain: this.keys.openForStudy(StudyInstanceUID, context, body, name) };
  }

  /** Reads and opens the file at `path`. */
  read(path: string, context: string): { StudyInstanceUID: string; plain: Buffer } {
    return this.open(readKept(path), context, path);
  }

  private split(sealed: Buffer, context: string, name: string): { StudyInstanceUID: string; body: Buffer } {
    if (!isStudyFile(sealed)) throw new AmurError('vault.fileNotEncrypted', { path: name });
    const version = sealed[STUDY_FILE_MAGIC.length];
    if (sealed.length < PREFIX_BYTES) throw new AmurError('vault.fileHeaderDamaged', { path: name });
    if (version !== VERSION) throw new AmurError('vault.fileUnsupportedVersion', { path: name, version: version! });
    const n = sealed.readUInt16BE(STUDY_FILE_MAGIC.length + 1);
    if (sealed.length < PREFIX_BYTES + n) throw new AmurError('vault.fileTruncated', { path: name, chunk: 0 });
    const uid = openSmall(this.locatorKey(), sealed.subarray(PREFIX_BYTES, PREFIX_BYTES + n), locatorAad(context));
    // Another vault's file, an altered header, or a file moved into another's place (other context).
    if (!uid) throw new AmurError('vault.fileWrongKey', { path: name });
    return { StudyInstanceUID: uid.toString('utf8'), body: sealed.subarray(PREFIX_BYTES + n) };
  }

  private locatorKey(): Buffer {
    return vaultKey(this.keys.home).deriveKey(LOCATOR_PURPOSE);
  }
}

function locatorAad(context: string): Buffer {
  return Buffer.from(`amur-study-file/1\u0000${context}`, 'utf8');
}

/** The bytes of a kept file; a translated error naming it when it cannot be read. */
export function readKept(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new AmurError('vault.fileReadFailed', { path, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { cause: e });
  }
}
