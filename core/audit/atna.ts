// The audit trail's way out in the standard's words (product rule 7): each AuditEvent as one DICOM
// Audit Message (PS3.15 Annex A.5, the format IHE ATNA repositories take), and many of them as one
// export file. The grammar is core/audit/schema/dicom-audit-message.rng; tests validate against it.
//
// Rule for every field: it carries only what the event gave (user, workstation, time, outcome,
// studies, agreement, detail) or a code of the standard chosen by the event's action. Nothing is
// looked up, so an exported message is as safe to send as the event itself.
import type { AuditAction, AuditEvent, AuditOutcome } from './event.js';

interface Code {
  code: string;
  system: string;
  meaning: string;
}

const dcm = (code: string, meaning: string): Code => ({ code, system: 'DCM', meaning });

/** Where the workstation's process stands in a transfer: it sends (source) or receives (destination). */
type Direction = 'source' | 'destination' | 'none';

interface MessageKind {
  /** EventID, from DCID 400 (Audit Event ID). */
  id: Code;
  /** EventTypeCode, where the standard's message has one for this kind of event. */
  type?: Code;
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  /** The workstation's role in a transfer; the peer (detail.peer) takes the other one. */
  direction: Direction;
}

const APPLICATION_ACTIVITY = dcm('110100', 'Application Activity');
const AUDIT_LOG_USED = dcm('110101', 'Audit Log Used');
const INSTANCES_ACCESSED = dcm('110103', 'DICOM Instances Accessed');
const INSTANCES_TRANSFERRED = dcm('110104', 'DICOM Instances Transferred');
const STUDY_DELETED = dcm('110105', 'DICOM Study Deleted');
const EXPORT = dcm('110106', 'Export');
const IMPORT = dcm('110107', 'Import');
const SECURITY_ALERT = dcm('110113', 'Security Alert');

/**
 * Every AuditAction and the standard's message for it. Begin Transferring (110102) is not used:
 * Amur records a transfer when it has ended (or failed), never when it starts. In 110104 the
 * standard reads C as "the receiver did not hold these instances before", which is what each of
 * Amur's transfers is (delivery and sending ask the exchange first and send only what it lacks).
 */
const MESSAGES: Record<AuditAction, MessageKind> = {
  // Application Activity with the standard's event types for start and stop.
  'application.start': { id: APPLICATION_ACTIVITY, type: dcm('110120', 'Application Start'), action: 'E', direction: 'none' },
  'application.stop': { id: APPLICATION_ACTIVITY, type: dcm('110121', 'Application Stop'), action: 'E', direction: 'none' },
  // An agreement decides who may read which partner's studies: a change to the security
  // configuration, so a Security Alert of that type, the agreement as the alert's subject.
  'agreement.import': { id: SECURITY_ALERT, type: dcm('110129', 'Security Configuration'), action: 'E', direction: 'none' },
  // Files or media brought into the local store: Import, the workstation as destination.
  'study.import': { id: IMPORT, action: 'C', direction: 'destination' },
  // Fetched from the partner's exchange over the network: Instances Transferred, received here.
  'study.pull': { id: INSTANCES_TRANSFERRED, action: 'C', direction: 'destination' },
  // Opening a study and viewing its images read stored instances: Instances Accessed, Read.
  'study.open': { id: INSTANCES_ACCESSED, action: 'R', direction: 'none' },
  'study.view': { id: INSTANCES_ACCESSED, action: 'R', direction: 'none' },
  // Measurements written out of the application (TID 1500): Export, the workstation as source.
  'study.export': { id: EXPORT, action: 'R', direction: 'source' },
  // A draft reads the study's instances to prefill itself; it is not yet a DICOM instance.
  'report.draft': { id: INSTANCES_ACCESSED, action: 'R', direction: 'none' },
  // Signing creates the report's SR and Encapsulated PDF instances in the study.
  'report.sign': { id: INSTANCES_ACCESSED, action: 'C', direction: 'none' },
  // An amendment is a new signed SR that replaces the earlier one: created, not edited in place.
  'report.amend': { id: INSTANCES_ACCESSED, action: 'C', direction: 'none' },
  // The signed report sent to the exchange: Instances Transferred, sent from here.
  'report.deliver': { id: INSTANCES_TRANSFERRED, action: 'C', direction: 'source' },
  // The hospital puts a de-identified study on the exchange: sent from the hospital side.
  'hospital.send': { id: INSTANCES_TRANSFERRED, action: 'C', direction: 'source' },
  // The hospital fetches a signed report from the exchange and files it: received there.
  'hospital.receive': { id: INSTANCES_TRANSFERRED, action: 'C', direction: 'destination' },
  // Re-identification rewrites the report's identifying attributes: an Update of its instances.
  'hospital.reidentify': { id: INSTANCES_ACCESSED, action: 'U', direction: 'none' },
  // A signature (agreement, report) did not verify: the sender failed to authenticate itself,
  // the nearest of the standard's alert types (DCID 403) being Node Authentication.
  'verification.failure': { id: SECURITY_ALERT, type: dcm('110126', 'Node Authentication'), action: 'E', direction: 'none' },
  // Access outside an agreement was attempted and refused.
  'access.refused': { id: SECURITY_ALERT, type: dcm('110132', 'Use of Restricted Function'), action: 'E', direction: 'none' },
  // Retention ended: the study's instances are removed from the store.
  'study.purge': { id: STUDY_DELETED, action: 'D', direction: 'none' },
  // A signing identity imported: the user's security attributes changed.
  'key.change': { id: SECURITY_ALERT, type: dcm('110137', 'User Security Attributes Changed'), action: 'E', direction: 'none' },
  // Verifying, listing, exporting or forwarding the trail reads it: Audit Log Used.
  'audit.export': { id: AUDIT_LOG_USED, action: 'R', direction: 'none' },
};

const OUTCOME: Record<AuditOutcome, string> = { success: '0', minorFailure: '4', seriousFailure: '8', majorFailure: '12' };

const SOURCE_ROLE = dcm('110153', 'Source Role ID');
const DESTINATION_ROLE = dcm('110152', 'Destination Role ID');

/** Amur's own codes (a "99" prefix marks a private coding scheme in DICOM) for what the standard has no code for. */
const AMUR = '99AMUR';
const AGREEMENT_ID_TYPE: Code = { code: 'agreement', system: AMUR, meaning: 'Cooperation agreement ID' };
const EVENT_ID_TYPE: Code = { code: 'event', system: AMUR, meaning: 'Audit trail event sequence number' };
const STUDY_UID_TYPE = dcm('110180', 'Study Instance UID');
const URI_TYPE: Code = { code: '12', system: 'RFC-3881', meaning: 'URI' };

// XML 1.0 cannot carry these characters at all, not even as references; they are replaced by
// U+FFFD so that the document stays well-formed (the event's detail travels base64 and keeps them).
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for an attribute value or element content; tab, CR and LF as references so that attribute normalisation keeps them. */
export function escapeXml(s: string): string {
  return s.replace(NOT_XML, '\uFFFD').replace(/[&<>"'\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function attrs(a: Record<string, string | undefined>): string {
  return Object.entries(a).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${escapeXml(v!)}"`).join('');
}

function coded(name: string, c: Code): string {
  return `<${name}${attrs({ 'csd-code': c.code, codeSystemName: c.system, originalText: c.meaning })}/>`;
}

function participant(a: { UserID: string; AlternativeUserID?: string; UserIsRequestor: boolean; host?: string; role?: Code }): string {
  const host = a.host;
  const typeCode = host === undefined ? undefined : isIpAddress(host) ? '2' : '1';
  return `<ActiveParticipant${attrs({ UserID: a.UserID, AlternativeUserID: a.AlternativeUserID, UserIsRequestor: String(a.UserIsRequestor),
    NetworkAccessPointID: host, NetworkAccessPointTypeCode: typeCode })}>${a.role ? coded('RoleIDCode', a.role) : ''}</ActiveParticipant>`;
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host));
}

function participantObject(o: { id: string; type: Code; typeCode: string; role?: string; name: string; details?: [string, string][] }): string {
  // The schema (this edition) makes a name or a query mandatory. Amur has no name to give that is
  // safe to send (a study's only "name" would be its patient's), so the name repeats the identifier.
  const details = (o.details ?? []).map(([k, v]) =>
    `<ParticipantObjectDetail${attrs({ type: k, value: Buffer.from(v, 'utf8').toString('base64') })}/>`).join('');
  return `<ParticipantObjectIdentification${attrs({ ParticipantObjectID: o.id, ParticipantObjectTypeCode: o.typeCode, ParticipantObjectTypeCodeRole: o.role })}>`
    + `${coded('ParticipantObjectIDTypeCode', o.type)}<ParticipantObjectName>${escapeXml(o.name)}</ParticipantObjectName>${details}`
    + '</ParticipantObjectIdentification>';
}

/**
 * One DICOM Audit Message for one event, on one line (syslog receivers escape line breaks, and a
 * line per message keeps an export file greppable). The event's detail is placed where the
 * standard has a field for it (peer → an active participant, code → EventOutcomeDescription,
 * pid → the process's AlternativeUserID, source → the import's source); everything else, with the
 * role, travels as ParticipantObjectDetail of a last participant object naming the event itself
 * (workstation and sequence number), which lets a repository drop the duplicates that an
 * at-least-once forwarder may send.
 */
export function auditMessageXml(event: AuditEvent): string {
  const kind = MESSAGES[event.action];
  if (!kind) throw new Error(`no audit message for action ${String(event.action)}`);
  const rest = new Map(Object.entries(event.detail).map(([k, v]) => [k, String(v)] as [string, string]));
  const take = (k: string): string | undefined => {
    const v = rest.get(k);
    rest.delete(k);
    return v;
  };
  const peer = take('peer');
  const code = take('code');
  const pid = take('pid');
  const source = event.action === 'study.import' ? take('source') : undefined;

  let xml = `<AuditMessage><EventIdentification${attrs({ EventActionCode: kind.action, EventDateTime: event.time, EventOutcomeIndicator: OUTCOME[event.outcome] })}>`
    + coded('EventID', kind.id) + (kind.type ? coded('EventTypeCode', kind.type) : '')
    + (code !== undefined ? `<EventOutcomeDescription>${escapeXml(code)}</EventOutcomeDescription>` : '')
    + '</EventIdentification>';

  // The person (or OS account) who acted requested the event.
  const launcher = event.action === 'application.start' || event.action === 'application.stop';
  xml += participant({ UserID: event.user, UserIsRequestor: true, role: launcher ? dcm('110151', 'Application Launcher') : undefined });
  // The workstation's process: the application in Application Activity, else source or destination.
  const ownRole = launcher ? dcm('110150', 'Application')
    : kind.direction === 'source' ? SOURCE_ROLE : kind.direction === 'destination' ? DESTINATION_ROLE : undefined;
  xml += participant({ UserID: 'amur', AlternativeUserID: pid, UserIsRequestor: false, host: event.workstation, role: ownRole });
  // The other end of a transfer, when the event names it.
  const otherRole = kind.direction === 'source' ? DESTINATION_ROLE : kind.direction === 'destination' ? SOURCE_ROLE : undefined;
  if (peer !== undefined) xml += participant({ UserID: peer, UserIsRequestor: false, host: peer, role: otherRole });
  if (source !== undefined) xml += participant({ UserID: source, UserIsRequestor: false, role: dcm('110154', 'Source Media') });

  xml += `<AuditSourceIdentification${attrs({ AuditSourceID: event.workstation })}><AuditSourceTypeCode csd-code="1"/></AuditSourceIdentification>`;

  // Each study touched: a system object in the role Report, identified by its Study Instance UID.
  for (const uid of event.studies) xml += participantObject({ id: uid, type: STUDY_UID_TYPE, typeCode: '2', role: '3', name: uid });
  // The agreement the action was under: the security resource that allowed (or refused) it.
  if (event.agreement !== undefined) {
    xml += participantObject({ id: event.agreement, type: AGREEMENT_ID_TYPE, typeCode: '2', role: '13', name: event.agreement });
  }
  // Audit Log Used names the log, by the standard's name for it, at its place under AMUR_HOME.
  if (event.action === 'audit.export') {
    xml += participantObject({ id: 'audit/audit.sqlite', type: URI_TYPE, typeCode: '2', role: '13', name: 'Security Audit Log' });
  }
  xml += participantObject({ id: String(event.seq), type: EVENT_ID_TYPE, typeCode: '2', name: `${event.workstation} #${event.seq}`,
    details: [['role', event.role], ...rest] });
  return `${xml}</AuditMessage>`;
}

/**
 * Many events in one file. The standard defines one message per document and no container, and
 * several documents back to back are not XML at all; so the file is one document whose root,
 * AuditMessages (Amur's name, schema/amur-audit-messages.rng), holds the standard's messages
 * unchanged, one per line, in the trail's order. A reader that wants single messages takes the
 * root's children; each validates against the standard's grammar alone.
 */
export function auditMessagesDocument(events: AuditEvent[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<AuditMessages>\n${events.map((e) => `${auditMessageXml(e)}\n`).join('')}</AuditMessages>\n`;
}

/** The schema files, for validators (xmllint) and for a repository that asks what Amur sends. */
export const AUDIT_MESSAGE_SCHEMA = new URL('./schema/dicom-audit-message.rng', import.meta.url);
export const AUDIT_DOCUMENT_SCHEMA = new URL('./schema/amur-audit-messages.rng', import.meta.url);
