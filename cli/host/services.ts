// The one place where the host's services are created: the store under AMUR_HOME and every service
// of the contract over it. Both shells host what this returns (the desktop shell's main process
// and `amur serve`), so a service added to AmurServices is wired here once.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { audit, auditTrail } from '../../core/audit/index.js';
import { AuditForwarder, loadRepositoryConfig } from '../../core/audit/syslog.js';
import { LocalAuditService } from '../../core/audit/service.js';
import { timestampAuditHead } from '../../core/audit/timestamp.js';
import { purge } from '../../core/cases/retention.js';
import { amurHome } from '../../core/common/paths.js';
import type { AmurServices } from '../../core/contract/services.js';
import type { ImportSummary } from '../../core/contract/studies.js';
import type { Language } from '../../core/i18n/index.js';
import { StudyStore, type MigrationProgress } from '../../core/store/store.js';
import { LocalStudyService } from '../../core/studies/service.js';
import { studiesOfPartners } from '../../core/studies/reports.js';
import { LocalImagingService } from '../../core/imaging/service.js';
import { LocalTriageService } from '../../core/triage/service.js';
import { LocalMeasurementService } from '../../core/measurements/service.js';
import { LocalReportService } from '../../core/reports/service.js';
import { LocalOutboxService } from '../../core/outbox/service.js';
import { startCourier } from '../../core/outbox/courier.js';
import { exchangeTarget } from '../../core/outbox/target.js';
import { activeAgreement, exchangeClient } from '../../core/cases/access.js';

export interface HostedServices {
  services: AmurServices;
  home: string;
  /** Imports a folder of uploads sealed under key (the browser shell's, see cli/host/uploads.ts). */
  importSealedFolder(dir: string, key: Buffer): Promise<ImportSummary>;
  close(): Promise<void>;
}

/**
 * Seconds between automatic deliveries of the outbox (AMUR_DELIVERY_INTERVAL; 0 turns it off, for
 * a workstation whose reports go out only by `amur deliver`, and for tests that show hand-set states).
 */
function deliveryInterval(env: NodeJS.ProcessEnv): number {
  const v = Number(env.AMUR_DELIVERY_INTERVAL ?? 30);
  return Number.isFinite(v) && v >= 0 ? v : 30;
}

/** How often the running app purges studies whose retention has ended. */
const PURGE_INTERVAL_MS = 6 * 3600 * 1000;

export function createServices(
  options: { home?: string; lang?: Language; env?: NodeJS.ProcessEnv; onMigrate?: (p: MigrationProgress) => void } = {},
): HostedServices {
  const home = options.home ?? amurHome();
  // A store an earlier version left in clear is encrypted here, once, before anything is served.
  const store = StudyStore.open(home, { onMigrate: options.onMigrate });
  audit(home, { action: 'application.start', outcome: 'success', role: 'system', detail: { pid: process.pid } });
  const studies = new LocalStudyService(store, { lang: options.lang, home });
  // Decoder threads start now, so that the first image of the first study does not wait for them.
  const imaging = new LocalImagingService({
    instanceFile: (uid) => {
      studies.noteFrameShown(uid);
      return store.instanceFile(uid);
    },
  });
  // AI triage of what each import brings, in the background on its own worker threads (started on
  // first use); models are looked for under this home too.
  const triage = new LocalTriageService(store, { env: { ...process.env, AMUR_HOME: home }, lang: options.lang });
  triage.attach(studies);
  // Drafts under AMUR_HOME/reports/drafts (autosaved), signed reports under AMUR_HOME/reports/signed.
  const reports = new LocalReportService(store, home);
  // Measurements are measured on the same decoded frames the viewer shows.
  const measurements = new LocalMeasurementService(store, { getImageFrame: (uid, frame) => imaging.getImageFrame(uid, frame) });
  // A worklist's status badges follow measurements, drafts and signatures as they happen.
  studies.follow({ measurements, reports });
  // The outbox is read straight from the store: delivery (amur deliver) may run in another process.
  const outbox = new LocalOutboxService(store);
  // While the app runs, what is queued goes out by itself when the link is up (core/outbox/courier.ts).
  const interval = deliveryInterval(options.env ?? process.env);
  const courier = interval > 0
    ? startCourier(store, (id) => exchangeTarget(exchangeClient(home, activeAgreement(home, id))), {
      intervalMs: interval * 1000,
      // A report signed while its TSA was unreachable is time-stamped before it goes.
      tsaFor: (id) => activeAgreement(home, id).tsaUrl,
      // Each round also time-stamps the audit trail's head with an agreement's TSA, when the link is up.
      onRound: () => {
        timestampAuditHead(home, { timeoutMs: 10_000 }).catch(() => undefined);
        // A report delivered (by this round, or by `amur deliver` meanwhile) or a deadline passed
        // changes a study's status.
        studies.refreshStatus(studiesOfPartners(store));
      },
    })
    : undefined;
  // The audit trail goes to the hospital's audit record repository while the app runs, when one is
  // configured (AMUR_HOME/audit/repository.json); a configuration that does not load is reported by
  // `amur audit forward`, and the events wait in the log either way.
  let forwarder: AuditForwarder | undefined;
  if (existsSync(join(home, 'audit', 'repository.json'))) {
    try {
      forwarder = new AuditForwarder(auditTrail(home), loadRepositoryConfig(home));
      forwarder.start();
    } catch {
      forwarder = undefined;
    }
  }
  // Retention: what is due goes at start and then every few hours while the app runs (rule 8).
  const purgeDue = () => {
    try {
      purge(store, home);
    } catch {
      // A purge that fails (a file held open elsewhere) is tried again at the next round; what it did is audited.
    }
  };
  purgeDue();
  const purgeTimer = setInterval(purgeDue, PURGE_INTERVAL_MS);
  purgeTimer.unref();
  // A report just signed under an agreement goes out now, not at the next round.
  if (courier) reports.onDidSignReport(() => courier.nudge());
  return {
    services: { studies, imaging, triage, reports, measurements, outbox, audit: new LocalAuditService(home) },
    home,
    importSealedFolder: (dir, key) => studies.importSealedFolder(dir, key),
    // Every worker pool is stopped before the store closes: a pool left running keeps the process alive.
    close: async () => {
      clearInterval(purgeTimer);
      await Promise.allSettled([studies.dispose(), imaging.dispose(), triage.close(), courier?.stop(), forwarder?.stop()]);
      audit(home, { action: 'application.stop', outcome: 'success', role: 'system', detail: { pid: process.pid } });
      store.close();
    },
  };
}
