"""Makes the partner hospital's studies for the round-trip tests, with pydicom (not Amur's code),
from real files in the shared data: patients with real-looking identifiers in the character sets a
Chinese hospital and a Russian one use.

  python3 roundtrip-studies.py SHARED OUT

OUT/ct-gb18030/: the 28-slice GE head CT as one study of patient 张伟 (GB18030), with an
  accession number, referring physician, institution, birth date, a private tag and dates;
OUT/ot-cyrillic/: pydicom's chrRuss.dcm (ISO_IR 144) as a second patient's study.
Each instance keeps its pixel data; UIDs are new (derived from the originals) so that each test
run's studies are its own.
"""
import hashlib
import os
import sys

import pydicom
from pydicom.uid import UID

shared, out = sys.argv[1], sys.argv[2]


def derived(uid, salt):
    # 2.25 + 128 bits of a hash: a valid UID of our own, the same for the same input.
    return UID('2.25.%d' % int(hashlib.sha256((salt + uid).encode()).hexdigest()[:32], 16))


def write(ds, folder, name):
    os.makedirs(folder, exist_ok=True)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(os.path.join(folder, name), write_like_original=False)


salt = os.environ.get('AMUR_TEST_SALT', 'amur')
ge = os.path.join(shared, 'dicom', 'dcm_qa_ct', 'In', 'GE')
for name in sorted(os.listdir(ge)):
    if not name.endswith('.dcm'):
        continue
    ds = pydicom.dcmread(os.path.join(ge, name))
    ds.SpecificCharacterSet = 'GB18030'
    ds.PatientName = '张^伟=张^伟'
    ds.PatientID = 'GZ-2026-000123'
    ds.IssuerOfPatientID = 'Guangzhou Partner Hospital'
    ds.PatientBirthDate = '19620314'
    ds.PatientSex = 'M'
    ds.PatientAge = '064Y'
    ds.AccessionNumber = 'ACC77881'
    ds.ReferringPhysicianName = '李^娜'
    ds.InstitutionName = '广州合作医院'
    ds.StudyDescription = 'CT HEAD 张伟'
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = '20261201'
    ds.OtherPatientIDs = 'GZ-OLD-42'
    ds.add_new(0x00291010, 'LO', 'private vendor note 张伟')
    ds.StudyInstanceUID = derived(ds.StudyInstanceUID, salt)
    ds.SeriesInstanceUID = derived(ds.SeriesInstanceUID, salt)
    ds.SOPInstanceUID = derived(ds.SOPInstanceUID, salt)
    if 'FrameOfReferenceUID' in ds:
        ds.FrameOfReferenceUID = derived(ds.FrameOfReferenceUID, salt)
    write(ds, os.path.join(out, 'ct-gb18030'), name)

russ = os.path.join(os.environ.get('AMUR_PYDICOM_DATA', '/usr/lib/python3/dist-packages/pydicom/data'), 'charset_files', 'chrRuss.dcm')
ds = pydicom.dcmread(russ)
ds.PatientID = 'RU-555'
ds.PatientBirthDate = '19800101'
ds.AccessionNumber = 'ACC-RU-1'
ds.StudyInstanceUID = derived(ds.StudyInstanceUID, salt)
ds.SeriesInstanceUID = derived(ds.SeriesInstanceUID, salt)
ds.SOPInstanceUID = derived(ds.SOPInstanceUID, salt)
write(ds, os.path.join(out, 'ot-cyrillic'), 'chrRuss.dcm')
print(out)
