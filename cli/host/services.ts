// The one place where the host's services are created: the store under AMUR_HOME and every service
// of the contract over it. Both shells host what this returns (the desktop shell's main process
// and `amur serve`), so a service added to AmurServices is wired here once.
import { amurHome } from '../../core/common/paths.js';
import type { AmurServices } from '../../core/contract/services.js';
import type { Language } from '../../core/i18n/index.js';
import { StudyStore } from '../../core/store/store.js';
import { LocalStudyService } from '../../core/studies/service.js';
import { LocalImagingService } from '../../core/imaging/service.js';
import { LocalTriageService } from '../../core/triage/service.js';
import { LocalMeasurementService } from '../../core/measurements/service.js';
import { LocalReportService } from '../../core/reports/service.js';
import { LocalOutboxService } from '../../core/outbox/service.js';

export interface HostedServices {
  services: AmurServices;
  home: string;
  close(): Promise<void>;
}

export function createServices(options: { home?: string; lang?: Language } = {}): HostedServices {
  const home = options.home ?? amurHome();
  const store = StudyStore.open(home);
  const studies = new LocalStudyService(store, { lang: options.lang, home });
  // Decoder threads start now, so that the first image of the first study does not wait for them.
  const imaging = new LocalImagingService({ instanceFile: (uid) => store.instanceFile(uid) });
  // AI triage of what each import brings, in the background on its own worker threads (started on
  // first use); models are looked for under this home too.
  const triage = new LocalTriageService(store, { env: { ...process.env, AMUR_HOME: home }, lang: options.lang });
  triage.attach(studies);
  // Drafts under AMUR_HOME/reports/drafts (autosaved), signed reports under AMUR_HOME/reports/signed.
  const reports = new LocalReportService(store, home);
  // Measurements are measured on the same decoded frames the viewer shows.
  const measurements = new LocalMeasurementService(store, { getImageFrame: (uid, frame) => imaging.getImageFrame(uid, frame) });
  // The outbox is read straight from the store: delivery (amur deliver) may run in another process.
  const outbox = new LocalOutboxService(store);
  return {
    services: { studies, imaging, triage, reports, measurements, outbox },
    home,
    // Every worker pool is stopped before the store closes: a pool left running keeps the process alive.
    close: async () => {
      await Promise.allSettled([studies.dispose(), imaging.dispose(), triage.close()]);
      store.close();
    },
  };
}
