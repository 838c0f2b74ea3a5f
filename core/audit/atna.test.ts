// DICOM audit messages checked by a real validator: xmllint against the standard's RELAX NG grammar
// (schema/dicom-audit-message.rng) and against the export file's wrapper (amur-audit-messages.rng).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { AUDIT_DOCUMENT_SCHEMA, AUDIT_MESSAGE_SCHEMA, auditMessageXml, auditMessagesDocument } from './atna.js';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, type AuditEvent } from './event.js';

const dir = mkdtempSync(join(tmpdir(), 'amur-atna-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function xmllint(xml: string, schema: URL, ...extra: string[]): { ok: boolean; out: string } {
  const f = join(dir, `m${++n}.xml`);
  writeFileSync(f, xml);
  const r = spawnSync('xmllint', ['--noout', ...extra, '--relaxng', fileURLToPath(schema), f], { encoding: 'utf8' });
  assert.ok(r.status !== null && !r.error, `xmllint did not run: ${r.error?.message ?? r.signal}`);
  return { ok: r.status === 0, out: r.stderr + r.stdout };
}

function xpath(xml: string, expr: string): string {
  const f = join(dir, `x${++n}.xml`);
  writeFileSync(f, xml);
  const r = spawnSync('xmllint', ['--xpath', expr, f], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // xmllint ends its answer with a line break of its own: drop that one.
  return r.stdout.replace(/\n$/, '');
}

function event(over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    seq: 7, time: '2026-12-07T08:00:00.123Z', action: 'study.pull', outcome: 'success', user: 'ivanov', role: 'reader',
    workstation: 'reader-ws-1', agreement: 'AG-2026-01', studies: ['1.2.840.113619.2.1', '1.2.840.113619.2.2'],
    detail: { peer: 'exchange.hospital.example', instances: 12 }, ...over,
  };
}

describe('DICOM audit messages (PS3.15 A.5)', () => {
  for (const action of AUDIT_ACTIONS) {
    it(`${action}: its message validates against the standard's schema`, () => {
      const detail = { peer: '10.1.2.3', code: 'agreement.notActive', pid: 4242, source: 'DVD', count: 3, ok: true };
      const r = xmllint(auditMessageXml(event({ action, detail })), AUDIT_MESSAGE_SCHEMA);
      assert.ok(r.ok, r.out);
    });
  }

  it('maps outcomes to EventOutcomeIndicator 0/4/8/12 and keeps the event time', () => {
    const want = { success: '0', minorFailure: '4', seriousFailure: '8', majorFailure: '12' };
    for (const outcome of AUDIT_OUTCOMES) {
      const xml = auditMessageXml(event({ outcome }));
      assert.equal(xpath(xml, 'string(/AuditMessage/EventIdentification/@EventOutcomeIndicator)'), want[outcome]);
      assert.equal(xpath(xml, 'string(/AuditMessage/EventIdentification/@EventDateTime)'), '2026-12-07T08:00:00.123Z');
    }
  });

  it('uses the standard codes: application start, transfer roles, study UIDs, audit log used', () => {
    const start = auditMessageXml(event({ action: 'application.start', studies: [], agreement: undefined, detail: { pid: 99 } }));
    assert.equal(xpath(start, 'string(//EventID/@csd-code)'), '110100');
    assert.equal(xpath(start, 'string(//EventTypeCode/@csd-code)'), '110120');
    assert.equal(xpath(start, 'string(//ActiveParticipant[RoleIDCode/@csd-code="110150"]/@AlternativeUserID)'), '99');
    const pull = auditMessageXml(event());
    assert.equal(xpath(pull, 'string(//EventID/@csd-code)'), '110104');
    assert.equal(xpath(pull, 'string(//ActiveParticipant[RoleIDCode/@csd-code="110153"]/@NetworkAccessPointID)'), 'exchange.hospital.example');
    assert.equal(xpath(pull, 'string(//ActiveParticipant[RoleIDCode/@csd-code="110152"]/@NetworkAccessPointID)'), 'reader-ws-1');
    assert.equal(xpath(pull, 'string(//ActiveParticipant[@UserIsRequestor="true"]/@UserID)'), 'ivanov');
    assert.equal(xpath(pull, 'count(//ParticipantObjectIdentification[ParticipantObjectIDTypeCode/@csd-code="110180"][@ParticipantObjectTypeCode="2"][@ParticipantObjectTypeCodeRole="3"])'), '2');
    assert.equal(xpath(pull, 'string(/AuditMessage/AuditSourceIdentification/@AuditSourceID)'), 'reader-ws-1');
    const used = auditMessageXml(event({ action: 'audit.export', studies: [], agreement: undefined, detail: { use: 'export' } }));
    assert.equal(xpath(used, 'string(//EventID/@csd-code)'), '110101');
    assert.equal(xpath(used, 'string(//ParticipantObjectIdentification[ParticipantObjectName="Security Audit Log"]/@ParticipantObjectTypeCodeRole)'), '13');
  });

  it('writes many events as one AuditMessages document that validates, in order', () => {
    const events = AUDIT_ACTIONS.map((action, i) => event({ seq: i + 1, action }));
    const doc = auditMessagesDocument(events);
    const r = xmllint(doc, AUDIT_DOCUMENT_SCHEMA);
    assert.ok(r.ok, r.out);
    assert.equal(xpath(doc, 'count(/AuditMessages/AuditMessage)'), String(events.length));
    const ids = xpath(doc, '//ParticipantObjectIdentification[ParticipantObjectIDTypeCode/@csd-code="event"]/@ParticipantObjectID');
    assert.deepEqual([...ids.matchAll(/"(\d+)"/g)].map((m) => Number(m[1])), events.map((e) => e.seq));
    // The wrapper's schema really includes the standard's: a broken message inside is refused.
    const broken = doc.replace('<AuditSourceIdentification', '<AuditSourceIdentificatio').replace('</AuditSourceIdentification>', '</AuditSourceIdentificatio>');
    assert.equal(xmllint(broken, AUDIT_DOCUMENT_SCHEMA).ok, false);
  });

  it('a message missing a required element or attribute is rejected by the schema', () => {
    const good = auditMessageXml(event());
    assert.ok(xmllint(good, AUDIT_MESSAGE_SCHEMA).ok);
    const noSource = good.replace(/<AuditSourceIdentification[^>]*>.*?<\/AuditSourceIdentification>/, '');
    assert.notEqual(noSource, good);
    assert.equal(xmllint(noSource, AUDIT_MESSAGE_SCHEMA).ok, false);
    const noEventId = good.replace(/<EventID [^>]*\/>/, '');
    assert.notEqual(noEventId, good);
    assert.equal(xmllint(noEventId, AUDIT_MESSAGE_SCHEMA).ok, false);
    const badOutcome = good.replace('EventOutcomeIndicator="0"', 'EventOutcomeIndicator="1"');
    assert.equal(xmllint(badOutcome, AUDIT_MESSAGE_SCHEMA).ok, false);
    const noRequestor = good.replace(/ UserIsRequestor="(true|false)"/g, '');
    assert.equal(xmllint(noRequestor, AUDIT_MESSAGE_SCHEMA).ok, false);
  });

  it('escapes special characters so that they read back unchanged', () => {
    const user = 'O\'Brien <&> "Ли" 张\tline\nnext';
    const xml = auditMessageXml(event({ user, workstation: 'ws&<1>', detail: { peer: 'a"b', code: '</EventOutcomeDescription><x>' } }));
    assert.ok(xmllint(xml, AUDIT_MESSAGE_SCHEMA).ok);
    assert.equal(xpath(xml, 'string(//ActiveParticipant[@UserIsRequestor="true"]/@UserID)'), user);
    assert.equal(xpath(xml, 'string(/AuditMessage/AuditSourceIdentification/@AuditSourceID)'), 'ws&<1>');
    assert.equal(xpath(xml, 'string(//EventOutcomeDescription)'), '</EventOutcomeDescription><x>');
    assert.equal(xpath(xml, 'count(//x)'), '0');
    assert.ok(!xml.includes('\n') && !xml.includes('\t'), 'one line, whitespace as character references');
    // Characters XML cannot carry at all become U+FFFD instead of breaking the document.
    const ctl = auditMessageXml(event({ user: 'a\u0001b\u0000' }));
    assert.ok(xmllint(ctl, AUDIT_MESSAGE_SCHEMA).ok);
    assert.equal(xpath(ctl, 'string(//ActiveParticipant[@UserIsRequestor="true"]/@UserID)'), 'a\uFFFDb\uFFFD');
  });

  it('no field carries anything the event did not give', () => {
    const e = event({ action: 'report.deliver', detail: { peer: 'pacs.example', item: 'item-31', instances: 2, code: 'E42', retried: false } });
    const xml = auditMessageXml(e);
    const given = new Set<string>([e.user, e.workstation, e.time, e.agreement!, ...e.studies, String(e.seq), `${e.workstation} #${e.seq}`,
      'pacs.example', 'E42', ...Object.keys(e.detail), 'role']);
    for (const v of [e.role, ...Object.values(e.detail).map(String)]) given.add(Buffer.from(v).toString('base64'));
    // What the mapping itself contributes: the software's own name and the schema's enumerated values.
    const structural = new Set(['amur', 'true', 'false', 'C', 'R', 'U', 'D', 'E', '0', '1', '2', '3', '13']);
    const decode = (s: string) => s.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)));
    for (const m of xml.matchAll(/ ([\w-]+)="([^"]*)"/g)) {
      if (['csd-code', 'codeSystemName', 'originalText'].includes(m[1]!)) continue; // the standard's codes
      const v = decode(m[2]!);
      assert.ok(given.has(v) || structural.has(v), `${m[1]}="${v}" was not in the event`);
    }
    for (const m of xml.matchAll(/>([^<]+)</g)) assert.ok(given.has(decode(m[1]!)), `text "${m[1]}" was not in the event`);
    // And an event that gives little gets a message with little: no peer, no agreement, no studies, no reason.
    const bare = auditMessageXml(event({ action: 'study.open', agreement: undefined, studies: [], detail: {} }));
    assert.ok(xmllint(bare, AUDIT_MESSAGE_SCHEMA).ok);
    assert.equal(xpath(bare, 'count(//ActiveParticipant)'), '2');
    assert.equal(xpath(bare, 'count(//ParticipantObjectIdentification)'), '1');
    assert.equal(xpath(bare, 'count(//EventOutcomeDescription)'), '0');
  });
});
