#!/usr/bin/env python3
"""Independent check of a de-identified DICOM object against PS3.15 Table E.1-1 (Amur's annex-e.tsv).

Written with pydicom only (none of Amur's code): it reads the table, resolves each attribute's
action under the declared options itself, and compares the original with the output.

usage: deid-check.py TABLE.tsv OPTIONS(comma-separated) ORIGINAL.dcm OUTPUT.dcm
Prints one JSON finding per line; exit status 1 when there is any finding.
"""
import json
import re
import sys

import pydicom
from pydicom.charset import encode_string

table_path, options_arg, original_path, output_path = sys.argv[1:5]
options = [o for o in options_arg.split(',') if o]

exact, ranges, private_row = {}, [], None
with open(table_path, encoding='utf-8') as f:
    header = f.readline().rstrip('\n').split('\t')
    for line in f:
        if not line.strip():
            continue
        cols = line.rstrip('\n').split('\t')
        row = dict(zip(header, cols + [''] * (len(header) - len(cols))))
        tag = row['tag'].upper()
        if tag == 'GGGG,EEEE':
            private_row = row
        elif 'X' in tag:
            ranges.append((re.compile('^' + tag.replace(',', '').replace('X', '[0-9A-F]') + '$'), row))
        else:
            exact[tag.replace(',', '')] = row

PRIORITY = 'KCDUZX'


def action(tag):
    t = '%08X' % tag
    row = exact.get(t) or next((r for rx, r in ranges if rx.match(t)), None)
    if row is None and (tag >> 16) & 1:
        row = private_row
    if row is None:
        return None
    opt = sorted([row[o] for o in options if row.get(o)], key=PRIORITY.index)
    return opt[0] if opt else row['BasicProfile']


findings = []


def finding(kind, where, detail=''):
    findings.append({'kind': kind, 'where': where, 'detail': detail})


def value_of(el):
    v = el.value
    if v is None:
        return ''
    if isinstance(v, (list, pydicom.multival.MultiValue)):
        return '\\'.join(str(x) for x in v)
    return str(v)


orig = pydicom.dcmread(original_path)
out = pydicom.dcmread(output_path)

# Identifying strings of the patient (decoded by pydicom from the original's character set).
name = str(orig.get('PatientName', '') or '')
identifiers = set()
for group in name.split('='):
    if group.strip('^ '):
        identifiers.add(group.strip())
        identifiers.add(' '.join(p for p in group.split('^') if p))
    for part in re.split(r'[\^ ]+', group):
        if len(part) >= 2 or re.search(r'[^\x00-\x7f]', part):
            identifiers.add(part)
pid = str(orig.get('PatientID', '') or '').strip()
if pid:
    identifiers.add(pid)
identifiers.discard('')

original_uids = set()


def walk(o_ds, out_ds, path):
    for el in o_ds:
        tag = int(el.tag)
        where = path + '(%04X,%04X)' % (tag >> 16, tag & 0xFFFF)
        if el.tag.group == 0x0002:
            continue
        a = action(tag)
        if el.VR == 'UI' and a in ('U',):
            for v in (el.value if isinstance(el.value, (list, pydicom.multival.MultiValue)) else [el.value]):
                if v:
                    original_uids.add(str(v))
        if a is None or a == 'K':
            if el.VR == 'SQ' and out_ds is not None and el.tag in out_ds:
                for i, item in enumerate(el.value):
                    o_items = out_ds[el.tag].value
                    walk(item, o_items[i] if i < len(o_items) else None, where + '[%d]' % i)
            continue
        present = out_ds is not None and el.tag in out_ds
        o_el = out_ds[el.tag] if present else None
        if el.tag in (0x00100010, 0x00100020):  # replaced by the pseudonym: checked below
            continue
        if a == 'X':
            if present:
                finding('not removed', where, el.name)
        elif a in ('Z', 'X/Z'):
            if present and (len(o_el.value) if el.VR == 'SQ' else value_of(o_el)) and (el.VR == 'SQ' or value_of(o_el) == value_of(el)):
                finding('not emptied', where, el.name)
        elif el.VR == 'SQ':
            if present:
                for i, item in enumerate(el.value):
                    o_items = o_el.value
                    walk(item, o_items[i] if i < len(o_items) else None, where + '[%d]' % i)
        elif a == 'C' and el.VR in ('DA', 'DT'):
            if present and value_of(el) and value_of(o_el) == value_of(el):
                finding('date not modified', where, el.name)
        elif a == 'C':
            if present and any(i.lower() in value_of(o_el).lower() for i in identifiers):
                finding('descriptor not cleaned', where, el.name)
        else:  # D, U, X/D, Z/D, X/Z/D, X/Z/U*
            if present and value_of(el) and value_of(o_el) == value_of(el) and el.VR != 'SQ':
                finding('original value kept', where, el.name)


walk(orig, out, '')
if 'MediaStorageSOPInstanceUID' in orig.file_meta:
    original_uids.add(str(orig.file_meta.MediaStorageSOPInstanceUID))


def private(ds, path):
    for el in ds:
        if el.tag.is_private:
            finding('private attribute', path + str(el.tag))
        if el.VR == 'SQ':
            for i, item in enumerate(el.value):
                private(item, path + str(el.tag) + '[%d]' % i)


private(out, '')

raw = open(output_path, 'rb').read()
if 'PixelData' in out:
    raw = raw.replace(bytes(out.PixelData), b'')  # search the attributes, not the image bytes
# New UIDs are random decimal digits and dates are shifted by a random offset: a short numeric
# Patient ID such as "0010" may occur inside one by chance ("20001005"), so the output's UID and
# date values are blanked before searching for identifiers (each was checked element by element).
out_uids = set()


def collect_uids(ds):
    for el in ds:
        if el.VR in ('UI', 'DA', 'DT') and el.value:
            vals = el.value if isinstance(el.value, (list, pydicom.multival.MultiValue)) else [el.value]
            out_uids.update(str(v) for v in vals if v)
        elif el.VR == 'SQ':
            for item in el.value:
                collect_uids(item)


collect_uids(out)
out_uids.add(str(out.file_meta.get('MediaStorageSOPInstanceUID', '')))
out_uids.discard('')
for uid in original_uids:
    if uid.encode('ascii') in raw:
        finding('original UID present', 'file bytes', 'a UID of the original')
masked = raw
for uid in sorted(out_uids - original_uids, key=len, reverse=True):
    masked = masked.replace(uid.encode('ascii'), b' ' * len(uid))
raw = masked
encodings = orig.get('SpecificCharacterSet', 'ISO_IR 6')
encodings = list(encodings) if isinstance(encodings, (list, pydicom.multival.MultiValue)) else [encodings]
for ident in sorted(identifiers):
    forms = {ident.encode('utf-8')}
    try:
        forms.add(encode_string(ident, [e or 'ISO_IR 6' for e in encodings]))
    except Exception:
        pass
    if any(f in raw for f in forms):
        finding('patient identifier present', 'file bytes', 'a name part or ID of the original patient')

if str(out.get('PatientIdentityRemoved', '')) != 'YES':
    finding('Patient Identity Removed is not YES', '(0012,0062)')
if out.file_meta.get('MediaStorageSOPInstanceUID') != out.get('SOPInstanceUID'):
    finding('meta SOP Instance UID differs', '(0002,0003)')

for f in findings:
    print(json.dumps(f))
sys.exit(1 if findings else 0)
