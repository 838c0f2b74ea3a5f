// The hospital's PACS, as the hospital side needs it: fetch a study, file objects. Either DICOMweb
// (a URL http(s)://…/dicom-web) or DIMSE only (dicom://AET@host:port: C-GET to fetch, C-STORE to
// file), chosen by the URL's scheme so the commands take one --pacs option for both.
import { AmurError } from '../common/errors.js';
import {
  DicomWebClient,
  dimseGetStudy,
  dimseStore,
  parsePeerUrl,
  type Credentials,
} from '../exchange/index.js';

export interface Pacs {
  /** A label for messages (scheme, host and port; never credentials). */
  readonly label: string;
  retrieveStudy(StudyInstanceUID: string, onInstance: (bytes: Buffer) => Promise<void>): Promise<number>;
  /** Files the objects; throws a translated AmurError naming the first that was refused. */
  store(objects: { bytes: Buffer; SOPInstanceUID: string; StudyInstanceUID: string }[]): Promise<void>;
}

/** Our AE title towards a DIMSE PACS. */
export const HOSPITAL_AET = 'AMUR_HOSPITAL';

export function openPacs(url: string, credentials?: Credentials, callingAet = HOSPITAL_AET): Pacs {
  if (url.startsWith('dicom://')) {
    const peer = parsePeerUrl(url);
    return {
      label: `dicom://${peer.aet}@${peer.host}:${peer.port}`,
      retrieveStudy: (uid, onInstance) => dimseGetStudy(peer, callingAet, uid, onInstance),
      async store(objects) {
        const results = await dimseStore(peer, callingAet, objects.map((o) => o.bytes));
        const bad = results.find((r) => !r.ok);
        if (bad) throw new AmurError('hospital.pacsRefused', { pacs: `${peer.host}:${peer.port}`, sop: bad.sop, status: bad.status });
      },
    };
  }
  if (!/^https?:\/\//.test(url)) throw new AmurError('hospital.pacsUrl', { url: url.replace(/\/\/[^@/]*@/, '//') });
  const client = new DicomWebClient({ url, ...credentials });
  return {
    label: new URL(url).host,
    retrieveStudy: (uid, onInstance) => client.retrieveStudyInstances(uid, onInstance),
    async store(objects) {
      const byStudy = new Map<string, Buffer[]>();
      for (const o of objects) byStudy.set(o.StudyInstanceUID, [...(byStudy.get(o.StudyInstanceUID) ?? []), o.bytes]);
      for (const [study, bytes] of byStudy) {
        const r = await client.store(bytes, study);
        if (r.failed.length) throw new AmurError('hospital.pacsRefused', { pacs: new URL(url).host, sop: r.failed[0]!.sop, status: r.failed[0]!.reason });
      }
    },
  };
}
