// A private Orthanc (the Debian package) for the benchmark: started on high random ports with its
// storage and index in a temporary folder, reachable only from this machine, stopped by us. Traffic
// goes only to 127.0.0.1. Used as the reference ingest: POST /instances of every file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

export interface OrthancOptions {
  /** Empty folder owned by the caller: config, storage, index and log go here. */
  dir: string;
  /** Orthanc's own default is true (fsync of every stored file); kept configurable to compare like with like. */
  syncStorageArea?: boolean;
}

export interface OrthancServer {
  port: number;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

// Every Orthanc this process started and has not seen exit: killed if the benchmark itself ends
// early (an exception, Ctrl-C), so no Orthanc outlives it.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const c of live) c.kill('SIGKILL');
      process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    });
  }
}
const STOP_TIMEOUT_MS = 15_000;

/** A port the kernel just handed out on loopback; closed again so Orthanc can bind it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startOrthanc(opts: OrthancOptions): Promise<OrthancServer> {
  const port = await freePort();
  const dicomPort = await freePort();
  mkdirSync(join(opts.dir, 'storage'), { recursive: true });
  mkdirSync(join(opts.dir, 'index'), { recursive: true });
  const config = {
    Name: 'amur-bench',
    StorageDirectory: join(opts.dir, 'storage'),
    IndexDirectory: join(opts.dir, 'index'),
    HttpPort: port,
    DicomPort: dicomPort,
    // Only HTTP ingest is measured; no reason to open a DICOM listener on every interface.
    DicomServerEnabled: false,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    Plugins: [],
    SaveJobs: false,
    SyncStorageArea: opts.syncStorageArea ?? true,
  };
  const configPath = join(opts.dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const logPath = join(opts.dir, 'orthanc.log');
  const logFd = openSync(logPath, 'w');
  const child = spawn('Orthanc', [configPath], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  track(child);
  let exited = false;
  child.on('exit', () => { exited = true; });
  const spawnError = new Promise<never>((_, reject) => child.on('error', reject));
  spawnError.catch(() => undefined);

  const stop = (): Promise<void> => stopChild(child, port, () => exited);
  try {
    const version = await Promise.race([waitForSystem(port, () => exited), spawnError]);
    return { port, pid: child.pid!, version, stop };
  } catch (e) {
    await stop();
    let log = '';
    try { log = readFileSync(logPath, 'utf8').slice(-2000); } catch { /* no log written */ }
    throw new Error(`Orthanc did not start: ${(e as Error).message}\n${log}`, { cause: e });
  }
}

/** Polls GET /system until Orthanc answers (it is usually ready in a fraction of a second). */
async function waitForSystem(port: number, hasExited: () => boolean): Promise<string> {
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (hasExited()) throw new Error('Orthanc exited during start-up');
    try {
      const r = await request(port, 'GET', '/system');
      if (r.status === 200) return String(JSON.parse(r.body).Version ?? 'unknown');
    } catch { /* not listening yet */ }
    await delay(25);
  }
  throw new Error(`no answer on /system within ${START_TIMEOUT_MS} ms`);
}

/**
 * Stops Orthanc: POST /tools/shutdown and SIGTERM (either would do), then SIGKILL if it is still
 * there after a bound, so a stuck Orthanc never outlives the benchmark. Orthanc 1.10 takes ~2.5 s to
 * stop its HTTP server; that time is outside every measurement.
 */
async function stopChild(child: ChildProcess, port: number, hasExited: () => boolean): Promise<void> {
  if (hasExited() || child.exitCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try { await request(port, 'POST', '/tools/shutdown'); } catch { /* not answering: the signals below */ }
  child.kill('SIGTERM');
  const exited = await Promise.race([done.then(() => true), delay(STOP_TIMEOUT_MS).then(() => false)]);
  if (!exited) {
    child.kill('SIGKILL');
    await done;
  }
}

export interface IngestResult {
  elapsed_ms: number;
  stored: number;
  already_stored: number;
  rejected: number;
}

/**
 * POSTs every file to /instances with at most `concurrency` requests in flight over keep-alive
 * connections. Reading each file is part of the time, as it is for cp and for Amur.
 */
export async function postInstances(port: number, files: string[], concurrency: number): Promise<IngestResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: IngestResult = { elapsed_ms: 0, stored: 0, already_stored: 0, rejected: 0 };
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++];
      const body = await readFile(file);
      const r = await request(port, 'POST', '/instances', body, agent);
      if (r.status === 200) {
        const status = JSON.parse(r.body).Status;
        if (status === 'AlreadyStored') result.already_stored++;
        else result.stored++;
      } else {
        result.rejected++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  result.elapsed_ms = performance.now() - t0;
  agent.destroy();
  return result;
}

/** GET a JSON resource (after the timed part, to check what Orthanc actually holds). */
export async function getJson(port: number, path: string): Promise<any> {
  const r = await request(port, 'GET', path);
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return JSON.parse(r.body);
}

function request(port: number, method: string, path: string, body?: Buffer, agent?: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path, agent: agent ?? false, timeout: 120_000,
      headers: body ? { 'Content-Type': 'application/dicom', 'Content-Length': body.length } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
