#!/usr/bin/python3
# Makes non-conformant copies of real DICOM files for test/unclean-sources.test.ts, as older or
# careless scanners write them. Run by the test with Debian's pydicom:
#   /usr/bin/python3 test/unclean-sources.py VARIANT OUT_DIR FILE...
# VARIANT:
#   nul      header values padded with NUL bytes (0x00) instead of spaces: Study ID, Accession
#            Number, Patient's Sex, Patient's Name, Patient ID, Referring Physician's Name, Study
#            Description, and the last value of Image Type.
#   invalid  values that are invalid for their VR or enumeration: Patient's Sex 'U' (not M/F/O), a
#            DA that is no date, a TM that is no time, an AS without its unit, a DS with a decimal
#            comma, an IS with a letter, an Accession Number longer than SH's 16 characters, a
#            Study Description longer than LO's 64, a Referring Physician's Name of six components.
# The values are written as raw bytes (pydicom would refuse or fix them otherwise); everything
# else of the file, pixel data included, is kept as it was.
import os
import sys

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

VARIANTS = {
    'nul': [
        (0x00200010, 'SH', b'2157\x00\x00'),
        (0x00080050, 'SH', b'A2157\x00'),
        (0x00100040, 'CS', b'M\x00'),
        (0x00100010, 'PN', b'DOE^JANE\x00\x00'),
        (0x00100020, 'LO', b'PLASTIC\x00'),
        (0x00080090, 'PN', b'SMITH^ANNA\x00\x00'),
        (0x00081030, 'LO', b'HEAD CT\x00'),
        (0x00080008, 'CS', b'ORIGINAL\\PRIMARY\\AXIAL\x00\x00'),
    ],
    'invalid': [
        (0x00100040, 'CS', b'U '),
        (0x00080020, 'DA', b'20231345'),
        (0x00080030, 'TM', b'25:61:00'),
        (0x00101010, 'AS', b'45'),
        (0x00180050, 'DS', b'1,5 '),
        (0x00200011, 'IS', b'2a'),
        (0x00080050, 'SH', b'ACCESSION-0123456789'),
        (0x00081030, 'LO', b'HEAD CT WITHOUT CONTRAST, AXIAL 5 MM, TRAUMA PROTOCOL, REQUESTED BY EMERGENCY '),
        (0x00080090, 'PN', b'SMITH^ANNA^B^DR^MD^X'),
    ],
}


def raw(ds, tag, vr, value):
    t = Tag(tag)
    if len(value) % 2:
        raise SystemExit(f'odd length for {t}')
    ds._dict[t] = RawDataElement(t, vr, len(value), value, 0, False, True)


def main():
    variant, out_dir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out_dir, exist_ok=True)
    for f in files:
        ds = pydicom.dcmread(f)
        for tag, vr, value in VARIANTS[variant]:
            raw(ds, tag, vr, value)
        ds.save_as(os.path.join(out_dir, os.path.basename(f)))


main()
