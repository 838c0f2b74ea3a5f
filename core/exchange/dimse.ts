// DIMSE towards a hospital PACS that speaks only the classic protocol (dcmjs-dimse): C-GET to
// fetch a study (the instances come back on the same association, so the PACS needs no route to
// us), C-STORE to file objects. A peer is written as a URL, dicom://AET@host:port, so the hospital
// commands take one --pacs option whether the PACS speaks DICOMweb or not. Instances pass between
// the library and Amur as Part 10 bytes in memory, never as files: what a hospital sends is the
// identified original, and a temp file of it would outlive a kill -9 in clear.
import type DimseLib from 'dcmjs-dimse';
import { AmurError } from '../common/errors.js';
import { dcmjsData, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, readPart10, type Dataset } from '../reports/dcmjs.js';

type Dimse = typeof DimseLib;
let loaded: Dimse | undefined;
/**
 * The library, loaded on first use: only a hospital with a DIMSE-only PACS needs it, and loading it
 * costs every other command a fifth of a second (bench/results/RESULTS.md, roundtrip).
 */
async function lib(): Promise<Dimse> {
  if (!loaded) {
    loaded = (await import('dcmjs-dimse')).default;
    // The library logs every PDU to stdout; outcomes reach the caller as results and AmurErrors instead
    // (stdout carries the CLI's --json answers, and a dataset dump would put patient data in a log).
    loaded.log.setLevel('silent');
  }
  return loaded;
}

export interface DimsePeer {
  aet: string;
  host: string;
  port: number;
}

export function parsePeerUrl(url: string): DimsePeer {
  const m = /^dicom:\/\/([^@/]{1,16})@([^:/]+):(\d{1,5})\/?$/.exec(url);
  if (!m || Number(m[3]) > 65535) throw new AmurError('exchange.peerUrl', { url });
  return { aet: m[1]!, host: m[2]!, port: Number(m[3]) };
}

const label = (p: DimsePeer) => `${p.aet}@${p.host}:${p.port}`;
const TIMEOUTS = { connectTimeout: 10_000, associationTimeout: 30_000, pduTimeout: 60_000 };

/** Runs the client's requests; resolves when the association is closed, rejects on a network failure. */
function run(client: InstanceType<Dimse['Client']>, peer: DimsePeer, callingAet: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed: AmurError | undefined;
    client.on('associationRejected', (r: unknown) => {
      failed = new AmurError('exchange.associationRejected', { peer: label(peer), detail: JSON.stringify(r) });
    });
    client.on('networkError', (e: Error) => {
      failed ??= new AmurError('exchange.unreachable', { host: `${peer.host}:${peer.port}`, detail: String((e as { code?: string }).code ?? e.message) }, { cause: e });
      reject(failed);
    });
    client.on('closed', () => (failed ? reject(failed) : resolve()));
    client.send(peer.host, peer.port, callingAet, peer.aet, TIMEOUTS);
  });
}

/** Fetches every instance of a study by C-GET; onInstance receives each as a DICOM file. */
export async function dimseGetStudy(
  peer: DimsePeer,
  callingAet: string,
  StudyInstanceUID: string,
  onInstance: (bytes: Buffer) => Promise<void>,
): Promise<number> {
  const { Client, requests: { CGetRequest }, responses: { CStoreResponse }, constants: { Status } } = await lib();
  const client = new Client();
  const request = CGetRequest.createStudyGetRequest(StudyInstanceUID);
  let status = Status.Success;
  let failures = 0;
  let received = 0;
  let handlerError: unknown;
  request.on('response', (response: { getStatus(): number; getFailures(): number }) => {
    const s = response.getStatus();
    if (s !== Status.Pending) {
      status = s;
      failures = response.getFailures() ?? 0;
    }
  });
  client.on('cStoreRequest', (req: { getDataset(): ReceivedDataset | undefined }, callback: (r: unknown) => void) => {
    const response = CStoreResponse.fromRequest(req as never);
    void (async () => {
      try {
        const ds = req.getDataset();
        if (!ds) throw new Error('no dataset');
        received++;
        await onInstance(part10Of(ds));
        response.setStatus(Status.Success);
      } catch (e) {
        handlerError ??= e;
        response.setStatus(Status.ProcessingFailure);
      }
      callback(response);
    })();
  });
  client.addRequest(request);
  await run(client, peer, callingAet);
  if (handlerError) throw handlerError;
  if (status !== Status.Success || failures) {
    throw new AmurError('exchange.getFailed', { peer: label(peer), status: `0x${status.toString(16).toUpperCase()}`, failures });
  }
  return received;
}

export interface DimseStoreResult {
  ok: boolean;
  sop: string;
  status: string;
}

/** Files DICOM files by C-STORE, all on one association; the outcome of each comes back. */
export async function dimseStore(peer: DimsePeer, callingAet: string, files: Buffer[]): Promise<DimseStoreResult[]> {
  const { Client, Dataset, requests: { CStoreRequest }, constants: { Status } } = await lib();
  const client = new Client();
  const results: DimseStoreResult[] = [];
  files.forEach((bytes) => {
    const { meta, dataset } = readPart10(bytes);
    const request = new CStoreRequest(new Dataset(dataset, String(meta.TransferSyntaxUID)));
    request.on('response', (response: { getStatus(): number; getAffectedSopInstanceUid(): string }) => {
      const s = response.getStatus();
      // Warnings (0xB000-0xBFFF) are a stored object; anything else but success is a refusal.
      results.push({ ok: s === Status.Success || (s >= 0xb000 && s <= 0xbfff), sop: response.getAffectedSopInstanceUid() ?? '', status: `0x${s.toString(16).toUpperCase().padStart(4, '0')}` });
    });
    client.addRequest(request);
  });
  await run(client, peer, callingAet);
  if (results.length < files.length) {
    throw new AmurError('exchange.storeIncomplete', { peer: label(peer), stored: results.length, total: files.length });
  }
  return results;
}

/** A data set as dcmjs-dimse hands it over: naturalized elements and their transfer syntax. */
interface ReceivedDataset {
  getElements(): Dataset;
  getElement(tag: string): unknown;
  getTransferSyntaxUid(): string;
}

/**
 * The Part 10 bytes of a received data set, written as the library's own toFile writes them (the
 * same File Meta Information, in the transfer syntax it arrived in), but in memory, and naming Amur
 * as the implementation that wrote them.
 */
function part10Of(ds: ReceivedDataset): Buffer {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: ds.getElement('SOPClassUID'),
    MediaStorageSOPInstanceUID: ds.getElement('SOPInstanceUID'),
    TransferSyntaxUID: ds.getTransferSyntaxUid(),
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dict = new dcmjsData.DicomDict(dcmjsData.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjsData.DicomMetaDictionary.denaturalizeDataset(ds.getElements());
  return Buffer.from(dict.write());
}
