// Child process of drafts.test.ts: saves one draft over and over, printing its id and then one line
// per completed save, until it is killed. It unlocks the home as the CLI does (AMUR_PASSPHRASE_FILE,
// inherited from the test run), so that its sealed drafts open in the test's process.
import { StudyStore } from '../store/store.js';
import { unlockFromEnvironment } from '../vault/session.js';
import { createDraft } from './draft.js';
import { DraftStore } from './drafts.js';
import { loadTemplate } from './template.js';

const home = process.argv[2]!;
await unlockFromEnvironment(home, process.env);
const store = new DraftStore(StudyStore.open(home));
const d = createDraft({
  StudyInstanceUID: '1.2.3', StudyID: '', StudyDate: '', StudyTime: '', AccessionNumber: '', StudyDescription: '',
  ReferringPhysicianName: '', PatientName: '', PatientID: '', IssuerOfPatientID: '', PatientBirthDate: '', PatientSex: '',
  series: [{ SeriesInstanceUID: '1.2.3.1', Modality: 'CT', instances: [{ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.3.1.1' }] }],
}, loadTemplate('ct-head'));
// Long enough text that a save is not one write of one block.
const filler = 'Гиперденсная зона. 高密度影。 '.repeat(2000);
process.stdout.write(`${d.draftId}\n`);
for (let i = 0; ; i++) {
  d.impression = [{ lang: 'ru', text: `save ${i}` }];
  d.texts = [{ section: 'findings', lang: 'ru', text: filler }];
  store.save(d);
  process.stdout.write(`${i}\n`);
}
