// Real Orthancs for the integration tests (Debian packages orthanc + orthanc-dicomweb): the
// exchange point and the partner hospital's PACS. Each runs on free loopback ports with its own
// storage in a temporary folder, authentication on (a random password), the DICOMweb plugin unless
// asked for a DIMSE-only PACS, and can be stopped and restarted on the same ports and storage, or
// killed, to play a link that drops.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../bench/lib/orthanc.js';

export interface OrthancInstance {
  name: string;
  /** DICOMweb root (http://127.0.0.1:PORT/dicom-web); for a DIMSE-only PACS, the REST root. */
  url: string;
  /** Orthanc's REST root, for the tests' own checks. */
  restUrl: string;
  dicomPort: number;
  aet: string;
  credentials: { username: string; password: string };
  stop(): Promise<void>;
  /** Starts it again on the same ports and storage. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash or a pulled cable would leave it. */
  kill(): Promise<void>;
  /** Stops it and removes its storage. */
  destroy(): Promise<void>;
}

export interface OrthancStart {
  name: string;
  /** With the DICOMweb plugin (default true). */
  dicomweb?: boolean;
  /** DICOM peers allowed to C-GET/C-STORE, by name: { aet, host?, port? }. */
  modalities?: Record<string, { aet: string; host?: string; port?: number }>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startOrthanc(o: OrthancStart): Promise<OrthancInstance> {
  const dir = mkdtempSync(join(tmpdir(), `amur-orthanc-${o.name}-`));
  mkdirSync(join(dir, 'storage'));
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const aet = o.name.toUpperCase().replace(/[^A-Z0-9]/g, '_').slice(0, 16);
  const credentials = { username: 'amur', password: randomBytes(12).toString('hex') };
  const dicomweb = o.dicomweb ?? true;
  const config = {
    Name: `amur-test-${o.name}`,
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'storage'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: aet,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [credentials.username]: credentials.password },
    Plugins: dicomweb ? ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'] : [],
    DicomWeb: { Enable: dicomweb, Root: '/dicom-web/', EnableWado: false, StudiesMetadata: 'Full', SeriesMetadata: 'Full' },
    DicomModalities: Object.fromEntries(
      Object.entries(o.modalities ?? {}).map(([k, m]) => [k, { AET: m.aet, Host: m.host ?? '127.0.0.1', Port: m.port ?? 104, AllowGet: true, AllowStore: true, AllowEcho: true, AllowFind: true }]),
    ),
    DicomCheckCalledAet: true,
    DicomCheckModalityHost: true,
    SaveJobs: false,
    StableAge: 1,
    // A report is filed once; a later copy under the same SOP Instance UID must not replace it silently.
    OverwriteInstances: false,
  };
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const restUrl = `http://127.0.0.1:${httpPort}`;
  const auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const logFd = openSync(join(dir, 'orthanc.log'), 'a');
    const c = spawn('Orthanc', [configPath], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    live.add(c);
    c.once('exit', () => live.delete(c));
    child = c;
    for (let i = 0; i < 600; i++) {
      if (c.exitCode !== null) break;
      try {
        const r = await fetch(`${restUrl}/system`, { headers: { Authorization: auth } });
        if (r.ok) return;
      } catch { /* not listening yet */ }
      await delay(50);
    }
    const log = readFileSync(join(dir, 'orthanc.log'), 'utf8').slice(-3000);
    throw new Error(`Orthanc ${o.name} did not start:\n${log}`);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const done = await Promise.race([exited.then(() => true), delay(15_000).then(() => false)]);
    if (!done) {
      c.kill('SIGKILL');
      await exited;
    }
  };

  await launch();
  return {
    name: o.name,
    url: dicomweb ? `${restUrl}/dicom-web` : restUrl,
    restUrl,
    dicomPort,
    aet,
    credentials,
    restart: launch,
    kill: () => halt('SIGKILL'),
    async stop() {
      await halt('SIGTERM');
    },
    async destroy() {
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
