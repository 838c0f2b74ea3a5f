// The reader's pull: the studies its active agreements' exchanges hold that are not yet in the
// store come in through QIDO-RS (which studies) and WADO-RS (their instances), and enter the store
// through the importer like any other file, so everything the store guarantees (dedup by SOP
// Instance UID, crash safety) holds for them too.
//
// Resumable: the case is recorded before any instance arrives and marked pulled only when all of
// them are in the store. A pull cut off by a dropped link leaves what it stored; the next pull asks
// the exchange which instances the study has and fetches only those the store lacks.
import { audit } from '../audit/index.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Agreement, coversModality, deadline, isActive } from '../agreements/index.js';
import { AmurError, isAmurError, type ErrorParams } from '../common/errors.js';
import type { DicomWebClient } from '../exchange/index.js';
import type { Language } from '../i18n/index.js';
import { importPaths } from '../importer/importer.js';
import type { StudyStore } from '../store/store.js';
import { sealBuffer } from '../vault/file-cipher.js';
import { CASE_TAGS, getCase, markPulled, parseTimePoint, recordCase } from './cases.js';

export interface PullRefusal {
  study: string;
  code: string;
  params: ErrorParams;
}

/** A study (or a whole exchange) that could not be fetched this time: the link, not a decision. */
export interface PullFailure {
  /** Empty when the exchange could not even be searched. */
  study: string;
  exchange: string;
  code: string;
  params: ErrorParams;
}

export interface PullResult {
  pulled: string[];
  /** Studies the agreement does not allow to be read here: pulling again gives the same answer. */
  refused: PullRefusal[];
  /** Transfers that failed (exchange down, connection cut): pulling again resumes them. */
  failed: PullFailure[];
}

export interface PullProgress {
  study: string;
  /** Instances of the study in the store so far, of `total`. */
  done: number;
  total: number;
}

export interface PullSource {
  agreement: Agreement;
  client: DicomWebClient;
}

type Json = Record<string, { vr?: string; Value?: unknown[] }>;

function str(obj: Json, tag: string): string {
  const v = obj[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && 'Alphabetic' in (v as object)) return String((v as { Alphabetic: string }).Alphabetic);
  return String(v);
}

function list(obj: Json, tag: string): string[] {
  return (obj[tag]?.Value ?? []).map(String).filter(Boolean);
}

const STUDY_UID = '0020000D';
const SERIES_UID = '0020000E';
const SOP_UID = '00080018';
const MODALITIES = '00080061';

/**
 * Pulls every new study of the given agreements; a failure of one study, or of one exchange, never
 * stops the others.
 */
export async function pull(
  store: StudyStore,
  sources: PullSource[],
  options: { now?: Date; lang?: Language; onProgress?: (p: PullProgress) => void } = {},
): Promise<PullResult> {
  const now = options.now ?? new Date();
  const result: PullResult = { pulled: [], refused: [], failed: [] };
  const linkFailure = (e: unknown, study: string, client: DicomWebClient, agreement: string): boolean => {
    if (!isAmurError(e) || !e.code.startsWith('exchange.')) return false;
    result.failed.push({ study, exchange: client.host, code: e.code, params: e.params });
    audit(store.home, { action: 'study.pull', outcome: 'seriousFailure', role: 'reader', agreement, studies: study ? [study] : [], detail: { peer: client.host, code: e.code } });
    return true;
  };
  for (const { agreement, client } of sources) {
    if (!isActive(agreement, now)) continue;
    let found: Json[];
    try {
      found = (await client.searchStudies(
        { [CASE_TAGS.agreementId]: agreement.id },
        [CASE_TAGS.requestId, CASE_TAGS.timePoint, CASE_TAGS.consentRef, CASE_TAGS.sponsor, MODALITIES],
      )) as Json[];
    } catch (e) {
      if (linkFailure(e, '', client, agreement.id)) continue;
      throw e;
    }
    for (const s of found) {
      const uid = str(s, STUDY_UID);
      if (!uid) continue;
      // QIDO matching of a non-key attribute is the exchange's choice; check it here too.
      if (str(s, CASE_TAGS.agreementId) && str(s, CASE_TAGS.agreementId) !== agreement.id) continue;
      try {
        const modalities = list(s, MODALITIES).filter((m) => m !== 'SR' && m !== 'DOC' && m !== 'PR' && m !== 'KO');
        if (!coversModality(agreement, modalities)) {
          throw new AmurError('cases.modalityNotCovered', { agreement: agreement.id, modalities: modalities.join(', ') });
        }
        const existing = getCase(store, uid);
        if (existing?.pulledAt) continue;
        if (!existing) {
          const tp = parseTimePoint(str(s, CASE_TAGS.timePoint));
          const priority = tp?.priority ?? 'routine';
          const receivedAt = tp?.sentAt ?? now;
          recordCase(store, {
            StudyInstanceUID: uid,
            agreementId: agreement.id,
            partner: agreement.partner.nameLatin,
            requestId: str(s, CASE_TAGS.requestId),
            consentRef: str(s, CASE_TAGS.consentRef),
            priority,
            receivedAt: receivedAt.toISOString(),
            deadlineAt: deadline(agreement, priority, receivedAt).toISOString(),
            exchangeUrl: agreement.exchange.url,
          });
        }
        await pullStudy(store, client, agreement, uid, options);
        markPulled(store, uid);
        result.pulled.push(uid);
        audit(store.home, { action: 'study.pull', outcome: 'success', role: 'reader', agreement: agreement.id, studies: [uid], detail: { peer: client.host } });
      } catch (e) {
        if (linkFailure(e, uid, client, agreement.id)) continue;
        if (!isAmurError(e)) throw e;
        result.refused.push({ study: uid, code: e.code, params: e.params });
        audit(store.home, { action: 'access.refused', outcome: 'minorFailure', role: 'reader', agreement: agreement.id, studies: [uid], detail: { peer: client.host, code: e.code } });
      }
    }
  }
  return result;
}

/** Instances committed per import while a study streams in. */
const BATCH = 64;

async function pullStudy(
  store: StudyStore,
  client: DicomWebClient,
  agreement: Agreement,
  uid: string,
  options: { lang?: Language; onProgress?: (p: PullProgress) => void },
): Promise<void> {
  const source = store.ensureSource(agreement.partner.nameLatin, 'partner');
  const listed = (await client.searchInstances(uid)) as Json[];
  const total = listed.length;
  const missing = listed.filter((i) => !store.hasInstance(str(i, SOP_UID)));
  let done = total - missing.length;
  options.onProgress?.({ study: uid, done, total });
  if (missing.length === 0) return;

  const dir = join(store.tmpDir, `${process.pid}.pull-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  // What arrives waits in the temp folder sealed under a key that lives only in this process (the
  // importer opens it, and seals it again under the study's key): no clear copy is ever on the disk.
  const key = randomBytes(32);
  let pending: string[] = [];
  let n = 0;
  const flush = async () => {
    if (!pending.length) return;
    const summary = await importPaths(store, pending, { source, lang: options.lang, audit: false, sealedUnder: { root: dir, key } });
    if (summary.rejected.length) {
      throw new AmurError('cases.instanceRejected', { study: uid, reason: summary.rejected[0]!.reason });
    }
    for (const p of pending) rmSync(p, { force: true });
    done += pending.length;
    pending = [];
    options.onProgress?.({ study: uid, done, total });
  };
  const take = async (bytes: Buffer) => {
    const name = `${n++}.dcm`;
    const p = join(dir, name);
    // Bound to its name below the folder, as the importer's sealedUnder opens it.
    writeFileSync(p, sealBuffer(key, bytes, { context: name }), { flag: 'wx', mode: 0o600 });
    pending.push(p);
    if (pending.length >= BATCH) await flush();
  };
  try {
    if (missing.length === total) {
      // Nothing yet: the whole study in one WADO-RS request, streamed.
      await client.retrieveStudyInstances(uid, take);
    } else {
      for (const i of missing) await take(await client.retrieveInstance(uid, str(i, SERIES_UID), str(i, SOP_UID)));
    }
    await flush();
  } finally {
    key.fill(0);
    rmSync(dir, { recursive: true, force: true });
  }
  const still = listed.filter((i) => !store.hasInstance(str(i, SOP_UID))).length;
  if (still) throw new AmurError('cases.incomplete', { study: uid, missing: still });
}
