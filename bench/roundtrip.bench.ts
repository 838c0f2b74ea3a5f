// Round-trip figures (issue 9, "Benchmarks"): the reader's pull of a 500-instance CT from the
// exchange against `curl` of the same WADO-RS study, the delivery latency of one signed report
// against a plain STOW-RS of the same two objects with `curl`, and de-identification throughput
// (instances/s) against Orthanc's own /anonymize of the same study, all in one run on real Orthancs.
//
// Set-up (not timed): the 28-slice GE head CT from dcm_qa_ct cycled into one study of N instances
// (default 500; dcmodify: one Study/Series UID, a new SOP Instance UID and an Instance Number per
// file, and the case attributes a hospital's `amur hospital send` writes, so that the exchange
// holds it as a case of the agreement), the test PKI (OpenSSL), an agreement made and signed with
// `amur agreement new`, two Orthancs as the round-trip tests run them (test/orthanc.ts: DICOMweb
// plugin, basic auth, loopback): the exchange, and the hospital's PACS; the study is POSTed to
// both through /instances.
//
// Method: every method runs once unmeasured (page cache, tsx compile cache), then --reps times,
// the methods of one measurement interleaved rep after rep; every CLI run is the whole process
// (`node bin/amur.js …`, start-up included) with its own AMUR_HOME; preparing homes, checking
// outcomes, deleting what a method left on an Orthanc and `sync` happen between runs, untimed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { activeAgreement } from '../core/cases/access.js';
import { caseAttributes } from '../core/cases/cases.js';
import { deidentify, deidentifyForAgreement, randomUid, ReidMap, type DeidContext, type DeidOption } from '../core/deid/index.js';
import { MultipartReader, multipartBody } from '../core/exchange/multipart.js';
import { unlockFromEnvironment } from '../core/vault/session.js';
import { startOrthanc, type OrthancInstance } from '../test/orthanc.js';
import { shared } from '../test/shared-data.js';
import { type Bench, type BenchContext, freshWorkDir, numberOption } from './lib/bench.js';
import { listFiles, makeSeriesFromSlices } from './lib/corpus.js';
import { processCpuMs, selfCpuMs } from './lib/cpu.js';
import { summarizeCpuProfile, type ProfileSummary } from './lib/cpuprofile.js';
import { machineInfo, toolVersion } from './lib/machine.js';
import { runChecked, runTimed, type RunResult } from './lib/process.js';
import { writeResults } from './lib/results.js';
import { fmtMs, mbPerS, ratio, summarize, type Summary } from './lib/stats.js';

const AGREEMENT = 'BENCH-RT-01';
const PARTNER = 'Bench Partner Hospital';
/** What the reader's DICOMweb client asks for (core/exchange/dicomweb.ts); curl asks the same. */
const WADO_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';
/** Orthanc's anonymization as a user would call it: the defaults, synchronously. */
const ANONYMIZE_BODY = { Synchronous: true, Force: false, KeepPrivateTags: false };

interface Sample {
  elapsed_ms: number;
  /** User+system CPU of the measured client (child process, or this process in-process). */
  cpu_ms: number | null;
  /** User+system CPU the Orthanc(s) serving the method used during it. */
  server_cpu_ms: number | null;
  outcome: Record<string, unknown>;
}

interface Method {
  key: string;
  label: string;
  what: string;
  once: (rep: string) => Promise<Sample>;
}

interface MethodResult {
  key: string;
  label: string;
  what: string;
  summary: Summary;
  cpu: Summary | null;
  server_cpu: Summary | null;
  outcome: Record<string, unknown>;
}

const bench: Bench = {
  name: 'roundtrip',
  description: 'amur pull vs curl WADO-RS, report delivery vs curl STOW-RS, de-identification vs Orthanc /anonymize (writes bench/results/roundtrip.json)',
  run,
};
export default bench;

// ---- small tools --------------------------------------------------------------------------

/** The exchange/PACS and its Orthanc process (for its CPU time). */
interface Server {
  o: OrthancInstance;
  pid: number | null;
}

async function startServer(name: string): Promise<Server> {
  const o = await startOrthanc({ name });
  // test/orthanc.ts runs `Orthanc <tmp>/amur-orthanc-<name>-XXXXXX/config.json`; the name is unique to this run.
  let pid: number | null = null;
  try {
    pid = Number(execFileSync('pgrep', ['-f', `amur-orthanc-${name}-`], { encoding: 'utf8' }).trim().split('\n')[0]) || null;
  } catch { /* no pgrep: no server CPU figures */ }
  return { o, pid };
}

function serverCpu(servers: Server[]): () => number | null {
  const read = () => {
    let sum = 0;
    for (const s of servers) {
      const c = s.pid === null ? null : processCpuMs(s.pid);
      if (c === null) return null;
      sum += c;
    }
    return sum;
  };
  const c0 = read();
  return () => {
    const c1 = read();
    return c0 === null || c1 === null ? null : c1 - c0;
  };
}

async function rest(o: OrthancInstance, path: string, init: RequestInit = {}): Promise<Response> {
  const auth = Buffer.from(`${o.credentials.username}:${o.credentials.password}`).toString('base64');
  return fetch(`${o.restUrl}${path}`, { ...init, headers: { Authorization: `Basic ${auth}`, ...(init.headers ?? {}) } });
}

async function restJson<T = any>(o: OrthancInstance, path: string, init: RequestInit = {}): Promise<T> {
  const r = await rest(o, path, init);
  if (!r.ok) throw new Error(`${o.name} ${init.method ?? 'GET'} ${path}: HTTP ${r.status} ${(await r.text()).slice(0, 300)}`);
  return (await r.json()) as T;
}

/** Orthanc's ID of a DICOM UID (study or instance), or undefined when it does not hold it. */
async function lookup(o: OrthancInstance, uid: string, type: 'Study' | 'Instance'): Promise<string | undefined> {
  const found = await restJson<{ ID: string; Type: string }[]>(o, '/tools/lookup', { method: 'POST', body: uid });
  return found.find((f) => f.Type === type)?.ID;
}

async function studyInstanceCount(o: OrthancInstance, uid: string): Promise<number> {
  const id = await lookup(o, uid, 'Study');
  return id ? (await restJson<unknown[]>(o, `/studies/${id}/instances`)).length : 0;
}

async function deleteResource(o: OrthancInstance, level: 'studies' | 'instances', id: string): Promise<void> {
  const r = await rest(o, `/${level}/${id}`, { method: 'DELETE' });
  if (!r.ok) throw new Error(`${o.name} DELETE /${level}/${id}: HTTP ${r.status}`);
}

/** POSTs every file to /instances, 4 at a time (set-up, not timed). */
async function upload(o: OrthancInstance, files: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      const r = await rest(o, '/instances', { method: 'POST', body: new Uint8Array(readFileSync(f)) });
      if (r.status !== 200) throw new Error(`${o.name}: upload of ${basename(f)}: HTTP ${r.status}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/**
 * One study of `count` instances cycled from the GE head CT's 28 slices, carrying the case of the
 * agreement as `amur hospital send` writes it (core/cases/cases.ts CASE_TAGS): Clinical Trial
 * Protocol ID = agreement, Time Point ID = request, Time Point Description = priority and time
 * sent, Ethics Committee Approval Number = consent, Sponsor = partner; a pseudonymous patient.
 * Kept in bench/tmp and reused while the recipe is the same.
 */
function makeCaseStudy(srcDir: string, count: number, dest: string): Promise<{ study: string; series: string }> {
  return makeSeriesFromSlices(srcDir, count, dest, [
    '(0010,0010)=AMUR-BENCH-1',
    '(0010,0020)=AMUR-BENCH-1',
    '(0012,0062)=YES', // Patient Identity Removed
    `(0012,0010)=${PARTNER}`,
    `(0012,0020)=${AGREEMENT}`,
    '(0012,0021)=Amur teleradiology',
    '(0012,0040)=AMUR-BENCH-1',
    '(0012,0050)=REQ-BENCH-1',
    '(0012,0051)=routine 20261122T120000Z',
    '(0012,0082)=CONSENT-BENCH-1',
    '(0008,103E)=BENCH ROUNDTRIP',
  ]);
}

/** A profile frame in Amur's code or in a package it loads (not Node's own module machinery). */
function ownFrame(f: { frame: string }): boolean {
  return / (core|cli|node_modules)\//.test(f.frame);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function perSecond(n: number, ms: number | undefined): number | null {
  return ms && ms > 0 ? round1((n * 1000) / ms) : null;
}

/** Warm-up run of every method, then `reps` interleaved; `prepare` runs (untimed) before each round. */
async function runMethods(ctx: BenchContext, phase: string, methods: Method[], reps: number, prepare?: (rep: string) => Promise<void>, afterEach?: () => Promise<void>): Promise<MethodResult[]> {
  const samples: Record<string, Sample[]> = Object.fromEntries(methods.map((m) => [m.key, []]));
  const t0 = performance.now();
  await prepare?.('warm');
  for (const m of methods) {
    const s = await m.once('warm');
    await afterEach?.();
    ctx.log(`${phase} warm-up ${m.key}: ${fmtMs(s.elapsed_ms)} ${JSON.stringify(s.outcome)}`);
  }
  ctx.log(`${phase}: warm-up done in ${fmtMs(performance.now() - t0)}`);
  for (let i = 1; i <= reps; i++) {
    await prepare?.(String(i));
    for (const m of methods) {
      samples[m.key].push(await m.once(String(i)));
      await afterEach?.();
    }
    ctx.log(`${phase} rep ${i}/${reps}: ${methods.map((m) => `${m.key} ${fmtMs(samples[m.key][i - 1].elapsed_ms)}`).join(', ')}`);
  }
  return methods.map((m) => {
    const s = samples[m.key];
    const cpu = s.every((x) => x.cpu_ms !== null) ? summarize(s.map((x) => x.cpu_ms!)) : null;
    const server = s.every((x) => x.server_cpu_ms !== null) ? summarize(s.map((x) => x.server_cpu_ms!)) : null;
    return { key: m.key, label: m.label, what: m.what, summary: summarize(s.map((x) => x.elapsed_ms)), cpu, server_cpu: server, outcome: s[s.length - 1].outcome };
  });
}

const median = (rs: MethodResult[], key: string): number | undefined => rs.find((r) => r.key === key)?.summary.median_ms;
const cpuMedian = (rs: MethodResult[], key: string): number | undefined => rs.find((r) => r.key === key)?.cpu?.median_ms;

// ---- the benchmark ------------------------------------------------------------------------

async function run(ctx: BenchContext): Promise<void> {
  const quick = ctx.options.quick === true;
  const reps = numberOption(ctx, 'reps', quick ? 1 : 3);
  const deliverReps = numberOption(ctx, 'deliver-reps', quick ? 1 : 5);
  const count = numberOption(ctx, 'instances', quick ? 100 : 500);
  const work = freshWorkDir(ctx, 'roundtrip');
  const node = process.execPath;
  const amurBin = join(ctx.repoRoot, 'bin', 'amur.js');
  const loadAtStart = os.loadavg()[0];

  const corpusDir = join(ctx.tmpRoot, `roundtrip-ct${count}`);
  ctx.log(`making the case study: GE head CT (28 slices) cycled into ${count} instances of one study in ${corpusDir}`);
  const { study: studyUid } = await makeCaseStudy(shared('dicom', 'dcm_qa_ct', 'In', 'GE'), count, corpusDir);
  const files = listFiles(corpusDir);
  const corpusBytes = files.reduce((s, f) => s + statSync(f).size, 0);
  ctx.log(`case study ${studyUid}: ${files.length} files, ${(corpusBytes / 1e6).toFixed(1)} MB`);

  const servers: Server[] = [];
  try {
    // The test PKI into the work folder (test/fixtures/pki/make-pki.sh, as bench/signing does).
    const pkiDir = join(work, 'pki');
    execFileSync('bash', [join(ctx.repoRoot, 'test', 'fixtures', 'pki', 'make-pki.sh'), pkiDir], { stdio: 'ignore' });
    const pki = (f: string) => join(pkiDir, f);

    const tag = `${process.pid}`;
    const [exchange, pacs] = await Promise.all([startServer(`bench-exchange-${tag}`), startServer(`bench-pacs-${tag}`)]);
    servers.push(exchange, pacs);
    const orthancVersion = (await restJson<{ Version: string }>(exchange.o, '/system')).Version;
    const dicomwebVersion = await restJson<string>(exchange.o, '/plugins/dicom-web').then((p: any) => String(p.Version ?? '?'), () => '?');
    ctx.log(`Orthanc ${orthancVersion} (DICOMweb plugin ${dicomwebVersion}): exchange ${exchange.o.restUrl} (pid ${exchange.pid}), PACS ${pacs.o.restUrl} (pid ${pacs.pid})`);
    const t0 = performance.now();
    await Promise.all([upload(exchange.o, files), upload(pacs.o, files)]);
    ctx.log(`uploaded ${files.length} instances to the exchange and the PACS in ${fmtMs(performance.now() - t0)}`);
    if ((await studyInstanceCount(exchange.o, studyUid)) !== count) throw new Error('the exchange does not hold the whole study');

    const cred = (s: Server, name: string) => {
      const p = join(work, `${name}.json`);
      writeFileSync(p, JSON.stringify(s.o.credentials));
      return p;
    };
    const exchangeCred = cred(exchange, 'exchange-cred');
    const pacsCred = cred(pacs, 'pacs-cred');
    const cli = (home: string, args: string[], timeoutMs = 600_000): Promise<RunResult> =>
      runChecked(node, [amurBin, ...args], { cwd: ctx.repoRoot, env: { ...process.env, AMUR_HOME: home, AMUR_LANG: 'en' }, timeoutMs });
    const cliTimed = (home: string, args: string[], timeoutMs = 600_000): Promise<RunResult> =>
      runTimed(node, [amurBin, ...args], { cwd: ctx.repoRoot, env: { ...process.env, AMUR_HOME: home, AMUR_LANG: 'en' }, timeoutMs });

    // The agreement: made and signed by the hospital (rsa.p12), naming the reader ec.pem, the exchange above.
    const hospitalHome = join(work, 'hospital');
    const agreementPath = join(work, 'agreement.json');
    await cli(hospitalHome, ['agreement', 'new', '--id', AGREEMENT, '--partner', PARTNER, '--valid-from', '2026-01-01', '--valid-to', '2030-12-31',
      '--modalities', 'CT', '--reader', pki('ec.pem'), '--languages', 'ru,en', '--exchange', exchange.o.url,
      '--identity', pki('rsa.p12'), '--passphrase-file', pki('passphrase.txt'), '--out', agreementPath]);
    const importAgreement = (home: string) => cli(home, ['agreement', 'import', agreementPath, '--trust', pki('ca.pem'), '--credentials', exchangeCred]);
    await importAgreement(hospitalHome);

    const syncDisk = async () => void (await runChecked('sync', []));

    // ---- 1. pull of the study vs curl of the same WADO-RS study ----
    const readerHome = join(work, 'reader'); // the warm-up pull's home: kept for delivery
    const exchangeCpu = () => serverCpu([exchange]);
    const pullMethods: Method[] = [
      {
        key: 'amur_pull',
        label: 'amur pull --json',
        what: 'the reader\'s CLI in a new process, fresh AMUR_HOME with the agreement imported: QIDO-RS of the agreement\'s studies and of the study\'s instances, one WADO-RS request for the study streamed through the multipart reader, every instance written to a temp file and imported into the store in batches of 64 (parse, copy into the store, SQLite), the case recorded',
        once: async (rep) => {
          const home = rep === 'warm' ? readerHome : join(work, `pull-${rep}`);
          await importAgreement(home);
          await syncDisk();
          const server = exchangeCpu();
          const r = await cliTimed(home, ['pull', '--json']);
          const serverMs = server();
          if (r.code !== 0) throw new Error(`amur pull failed (${r.signal ?? r.code}): ${r.stderr.slice(-2000)}`);
          const out = JSON.parse(r.stdout) as { pulled: string[]; refused: unknown[]; failed?: unknown[] };
          if (out.pulled.length !== 1 || out.pulled[0] !== studyUid || out.refused.length || out.failed?.length) throw new Error(`amur pull: unexpected answer ${r.stdout}`);
          const listed = JSON.parse((await cli(home, ['studies', '--json'])).stdout) as { StudyInstanceUID: string; NumberOfStudyRelatedInstances: number; case?: { agreementId: string } }[];
          const s = listed.find((x) => x.StudyInstanceUID === studyUid);
          if (!s || s.NumberOfStudyRelatedInstances !== count || s.case?.agreementId !== AGREEMENT) {
            throw new Error(`amur pull: the store holds ${s?.NumberOfStudyRelatedInstances ?? 0} instances of the study (expected ${count}), case ${JSON.stringify(s?.case)}`);
          }
          if (listed.length !== 1) throw new Error(`amur pull: the store holds ${listed.length} studies (expected 1)`);
          if (rep !== 'warm') rmSync(home, { recursive: true, force: true });
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: serverMs, outcome: { pulled: out.pulled.length, refused: out.refused.length, instances_in_store: s.NumberOfStudyRelatedInstances } };
        },
      },
      {
        key: 'curl_wado',
        label: 'curl WADO-RS study',
        what: `curl -s -u user:pass -H 'Accept: ${WADO_ACCEPT}' URL/studies/UID -o FILE: the same multipart answer written to one file, nothing parsed`,
        once: async (rep) => {
          const out = join(work, `curl-${rep}.multipart`);
          await syncDisk();
          const server = exchangeCpu();
          const r = await runChecked('curl', ['-s', '-S', '-f', '-u', `${exchange.o.credentials.username}:${exchange.o.credentials.password}`,
            '-H', `Accept: ${WADO_ACCEPT}`, '-o', out, '-w', '%{content_type}', `${exchange.o.url}/studies/${studyUid}`]);
          const serverMs = server();
          const bytes = statSync(out).size;
          // Check (untimed) that curl got the whole study.
          const boundary = /boundary="?([^";]+)"?/.exec(r.stdout)?.[1];
          if (!boundary) throw new Error(`curl: no multipart boundary in ${r.stdout}`);
          const reader = new MultipartReader(boundary);
          const parts = reader.push(readFileSync(out)).length;
          if (parts !== count || !reader.finished) throw new Error(`curl: ${parts} parts (expected ${count})`);
          rmSync(out, { force: true });
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: serverMs, outcome: { bytes, instances: parts } };
        },
      },
      {
        key: 'curl_qido_instances',
        label: 'curl QIDO-RS of the study\'s instances (part of a pull)',
        what: 'curl -s -u user:pass -H \'Accept: application/dicom+json\' URL/studies/UID/instances: the instance list a pull asks for before retrieving (to know what the store lacks)',
        once: async () => {
          const server = exchangeCpu();
          const r = await runChecked('curl', ['-s', '-S', '-f', '-u', `${exchange.o.credentials.username}:${exchange.o.credentials.password}`,
            '-H', 'Accept: application/dicom+json', `${exchange.o.url}/studies/${studyUid}/instances`]);
          const serverMs = server();
          const n = (JSON.parse(r.stdout) as unknown[]).length;
          if (n !== count) throw new Error(`curl QIDO-RS: ${n} instances (expected ${count})`);
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: serverMs, outcome: { instances: n, bytes: r.stdout.length } };
        },
      },
      {
        key: 'amur_import',
        label: 'amur import DIR --json (same files from disk)',
        what: 'the same importer without the network: the study\'s files from the local folder into a fresh AMUR_HOME (the import part of a pull, once; a pull also writes each instance to a temp file first)',
        once: async (rep) => {
          const home = join(work, `import-${rep}`);
          await syncDisk();
          const r = await cli(home, ['import', corpusDir, '--json']);
          const out = JSON.parse(r.stdout) as { imported: number; rejected: unknown[] };
          if (out.imported !== count || out.rejected.length) throw new Error(`amur import: ${r.stdout.slice(0, 500)}`);
          rmSync(home, { recursive: true, force: true });
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: null, outcome: { imported: out.imported } };
        },
      },
      {
        key: 'amur_pull_nothing',
        label: 'amur pull --json, nothing new (floor)',
        what: 'the same pull in the home that already holds the study: CLI start-up, store and agreement opening, one QIDO-RS search; nothing retrieved',
        once: async () => {
          const server = exchangeCpu();
          const r = await cli(readerHome, ['pull', '--json']);
          const serverMs = server();
          const out = JSON.parse(r.stdout) as { pulled: string[] };
          if (out.pulled.length) throw new Error(`amur pull pulled again: ${r.stdout}`);
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: serverMs, outcome: { pulled: 0 } };
        },
      },
    ];
    ctx.log(`1. pull of ${count} instances vs curl, ${reps} reps`);
    const pullResults = await runMethods(ctx, 'pull', pullMethods, reps);
    // Where a pull's time goes when it is far from curl: one more pull, untimed, under --cpu-prof.
    const pullOverCurl = ratio(median(pullResults, 'amur_pull'), median(pullResults, 'curl_wado'));
    let pullProfile: ProfileSummary | undefined;
    if (ctx.options.profile === true || (pullOverCurl !== null && pullOverCurl > 3 && ctx.options['no-profile'] !== true)) {
      const home = join(work, 'pull-profile');
      await importAgreement(home);
      const profDir = join(work, 'pull-prof');
      mkdirSync(profDir, { recursive: true });
      await runChecked(node, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, amurBin, 'pull', '--json'], {
        cwd: ctx.repoRoot, env: { ...process.env, AMUR_HOME: home, AMUR_LANG: 'en' }, timeoutMs: 600_000,
      });
      // Names end in .<pid>.<threadId>.<seq>.cpuprofile; thread 0 is the main thread.
      const main = readdirSync(profDir).find((f) => /\.0\.\d+\.cpuprofile$/.test(f));
      if (main) {
        const keep = join(ctx.tmpRoot, 'profiles');
        mkdirSync(keep, { recursive: true });
        const kept = join(keep, 'roundtrip-pull.cpuprofile');
        copyFileSync(join(profDir, main), kept);
        pullProfile = summarizeCpuProfile(kept, ctx.repoRoot, 80);
        ctx.log(`profile of one more pull (main thread, ${pullProfile.total_ms} ms sampled, ${pullProfile.idle_ms} ms idle) kept in ${kept}; most self time:`);
        for (const f of pullProfile.self.slice(0, 12)) ctx.log(`  ${String(f.ms).padStart(8)} ms  ${f.frame}`);
        ctx.log('most inclusive time:');
        for (const f of pullProfile.inclusive.filter(ownFrame).slice(0, 20)) ctx.log(`  ${String(f.ms).padStart(8)} ms  ${f.frame}`);
      }
      rmSync(home, { recursive: true, force: true });
      rmSync(profDir, { recursive: true, force: true });
    }

    // ---- 2. delivery of one report vs curl STOW-RS of the same two objects ----
    const draft = JSON.parse((await cli(readerHome, ['report', 'draft', '--study', studyUid, '--template', 'ct-head', '--reader', 'ru'])).stdout);
    draft.findings = [{ id: 'normal' }];
    draft.impression = [{ lang: 'ru', text: 'Без острой патологии.' }];
    draft.observer = { name: 'Ivanova^Anna', organization: 'Amur Radiology' };
    const draftPath = join(work, 'draft.json');
    writeFileSync(draftPath, JSON.stringify(draft));
    let queued: { sops: string[]; body: string; boundary: string; bytes: number } | undefined;
    const removeFromExchange = async (sops: string[]) => {
      for (const sop of sops) {
        const id = await lookup(exchange.o, sop, 'Instance');
        if (!id) throw new Error(`the exchange does not hold ${sop}`);
        await deleteResource(exchange.o, 'instances', id);
      }
    };
    const prepareReport = async (rep: string) => {
      // A new report signed by the agreement's reader (ec.p12): new SOP Instance UIDs, so a new outbox item.
      const out = join(work, `signed-${rep}`);
      await cli(readerHome, ['report', 'sign', draftPath, '--identity', pki('ec.p12'), '--passphrase-file', pki('passphrase.txt'), '--out', out]);
      const items = JSON.parse((await cli(readerHome, ['outbox', 'list', '--json'])).stdout) as { status: string; instances: { SOPInstanceUID: string; file: string }[] }[];
      const q = items.filter((i) => i.status === 'queued');
      if (q.length !== 1) throw new Error(`outbox: ${q.length} queued items (expected 1)`);
      const boundary = `bench-${randomUid()}`;
      const parts = q[0].instances.map((i) => ({ contentType: 'application/dicom', body: readFileSync(join(out, i.file)) }));
      const body = multipartBody(boundary, parts);
      const bodyPath = join(work, `stow-${rep}.body`);
      writeFileSync(bodyPath, body);
      queued = { sops: q[0].instances.map((i) => i.SOPInstanceUID), body: bodyPath, boundary, bytes: parts.reduce((s, p) => s + p.body.length, 0) };
    };
    const deliverMethods: Method[] = [
      {
        key: 'amur_deliver',
        label: 'amur deliver --json (one report)',
        what: 'the reader\'s CLI in a new process: opens the store, claims the queued item, asks the exchange (QIDO-RS) whether it holds each of the two objects, STOW-RS of the SR and the Encapsulated PDF in one request, marks it delivered',
        once: async () => {
          const q = queued!;
          const server = exchangeCpu();
          const r = await cli(readerHome, ['deliver', '--json']);
          const serverMs = server();
          const out = JSON.parse(r.stdout) as { delivered: number; failed: unknown[] };
          if (out.delivered !== 1 || out.failed.length) throw new Error(`amur deliver: ${r.stdout}`);
          await removeFromExchange(q.sops); // checks that both arrived, and makes room for curl's copy
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: serverMs, outcome: { delivered: out.delivered, instances: q.sops.length, bytes: q.bytes } };
        },
      },
      {
        key: 'curl_stow',
        label: 'curl STOW-RS (the same two objects)',
        what: 'curl -X POST -H \'Content-Type: multipart/related; type="application/dicom"; boundary=…\' --data-binary @BODY URL/studies/UID: the same SR and Encapsulated PDF in one multipart body prepared beforehand',
        once: async () => {
          const q = queued!;
          const server = exchangeCpu();
          const r = await runChecked('curl', ['-s', '-S', '-f', '-u', `${exchange.o.credentials.username}:${exchange.o.credentials.password}`,
            '-X', 'POST', '-H', `Content-Type: multipart/related; type="application/dicom"; boundary=${q.boundary}`, '-H', 'Accept: application/dicom+json', '-H', 'Expect:',
            '--data-binary', `@${q.body}`, `${exchange.o.url}/studies/${studyUid}`]);
          const serverMs = server();
          const answer = JSON.parse(r.stdout) as Record<string, { Value?: unknown[] }>;
          const stored = answer['00081199']?.Value?.length ?? 0;
          if (stored !== q.sops.length || answer['00081198']?.Value?.length) throw new Error(`curl STOW-RS: ${r.stdout.slice(0, 500)}`);
          await removeFromExchange(q.sops);
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: serverMs, outcome: { stored, bytes: q.bytes } };
        },
      },
      {
        key: 'amur_deliver_nothing',
        label: 'amur deliver --json, nothing queued (floor)',
        what: 'the same command with an empty outbox: CLI start-up, store opening, no request',
        once: async () => {
          const r = await cli(readerHome, ['deliver', '--json']);
          const out = JSON.parse(r.stdout) as { delivered: number };
          if (out.delivered !== 0) throw new Error(`amur deliver, nothing queued: ${r.stdout}`);
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: null, outcome: { delivered: 0 } };
        },
      },
      {
        key: 'node_startup',
        label: 'node -e 0 (floor)',
        what: 'Node itself starting and exiting, no tsx, no Amur code',
        once: async () => {
          const r = await runChecked(node, ['-e', '0']);
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: null, outcome: {} };
        },
      },
    ];
    ctx.log(`2. delivery of one report vs curl STOW-RS, ${deliverReps} reps`);
    const deliverResults = await runMethods(ctx, 'deliver', deliverMethods, deliverReps, prepareReport);
    const reportBytes = queued?.bytes ?? 0;

    // ---- 3. de-identification: in-process and `amur hospital send`, vs Orthanc's /anonymize ----
    const agreement = activeAgreement(hospitalHome, AGREEMENT);
    // The in-process map is encrypted under the hospital home's vault, as `amur hospital send`'s is.
    await unlockFromEnvironment(hospitalHome, process.env);
    const pacsStudyId = await lookup(pacs.o, studyUid, 'Study');
    if (!pacsStudyId) throw new Error('the PACS does not hold the study');
    const inputs = files.map((f) => readFileSync(f));
    const deidOptions = {
      options: agreement.deidentification.options,
      allowBurnedIn: agreement.deidentification.allowBurnedInAnnotation,
      add: (subjectId: string) => caseAttributes({ agreementId: agreement.id, partner: agreement.partner.nameLatin, requestId: 'REQ-BENCH-2',
        consentRef: 'CONSENT-BENCH-2', priority: 'routine', sentAt: new Date('2026-11-22T12:00:00Z'), subjectId }),
    };
    const checkDeid = (studies: Set<string>, n: number, what: string) => {
      if (n !== count || studies.size !== 1 || studies.has(studyUid)) throw new Error(`${what}: ${n} instances in ${studies.size} studies`);
    };
    const deidMethods: Method[] = [
      {
        key: 'amur_deid_map',
        label: 'Amur deidentifyForAgreement() in-process, with the re-identification map',
        what: 'what `amur hospital send` does to each instance, in the benchmark process over the files\' bytes already in memory: core/deid deidentifyForAgreement (pseudonym and UIDs from a fresh ReidMap, SQLCipher WAL with synchronous=FULL, the study recorded) with the agreement\'s options and case attributes; the output is not written anywhere',
        once: async (rep) => {
          const path = join(work, `reid-${rep}.sqlite`);
          const c0 = selfCpuMs();
          const t = performance.now();
          const map = new ReidMap(hospitalHome, path);
          const studies = new Set<string>();
          let outBytes = 0;
          try {
            for (const b of inputs) {
              const r = deidentifyForAgreement(map, agreement.id, b, deidOptions);
              studies.add(r.StudyInstanceUID);
              outBytes += r.bytes.length;
            }
          } finally {
            map.close();
          }
          const elapsed = performance.now() - t;
          const cpu = selfCpuMs() - c0;
          checkDeid(studies, inputs.length, 'deidentifyForAgreement');
          for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
          return { elapsed_ms: elapsed, cpu_ms: cpu, server_cpu_ms: null, outcome: { instances: inputs.length, output_bytes: outBytes } };
        },
      },
      {
        key: 'amur_deid_pure',
        label: 'Amur deidentify() in-process, UIDs from memory',
        what: 'core/deid deidentify() alone over the same bytes: the Annex E profile, the case attributes, UIDs from an in-memory table instead of the SQLite map; nothing written',
        once: async () => {
          const uids = new Map<string, string>();
          const c0 = selfCpuMs();
          const t = performance.now();
          const dctx: DeidContext = {
            options: agreement.deidentification.options as readonly DeidOption[],
            uid: (o) => {
              let u = uids.get(o);
              if (!u) uids.set(o, (u = randomUid()));
              return u;
            },
            pseudonym: { PatientName: `AMUR-${AGREEMENT}-1`, PatientID: `AMUR-${AGREEMENT}-1` },
            dateOffsetDays: -1234,
            allowBurnedIn: agreement.deidentification.allowBurnedInAnnotation,
            add: deidOptions.add(`AMUR-${AGREEMENT}-1`),
          };
          const studies = new Set<string>();
          let outBytes = 0;
          for (const b of inputs) {
            const r = deidentify(b, dctx);
            studies.add(r.StudyInstanceUID);
            outBytes += r.bytes.length;
          }
          const elapsed = performance.now() - t;
          const cpu = selfCpuMs() - c0;
          checkDeid(studies, inputs.length, 'deidentify');
          return { elapsed_ms: elapsed, cpu_ms: cpu, server_cpu_ms: null, outcome: { instances: inputs.length, output_bytes: outBytes } };
        },
      },
      {
        key: 'orthanc_anonymize',
        label: 'Orthanc POST /studies/{id}/anonymize',
        what: `Orthanc's own anonymization of the study on the PACS Orthanc, body ${JSON.stringify(ANONYMIZE_BODY)} (its default profile), answered when done: reads each stored instance, anonymizes it, stores the new instance (file with fsync, Orthanc's default SyncStorageArea, and its SQLite index); the new study is deleted afterwards, untimed`,
        once: async () => {
          const server = serverCpu([pacs]);
          const t = performance.now();
          const res = await rest(pacs.o, `/studies/${pacsStudyId}/anonymize`, { method: 'POST', body: JSON.stringify(ANONYMIZE_BODY) });
          const text = await res.text();
          const elapsed = performance.now() - t;
          const serverMs = server();
          if (!res.ok) throw new Error(`Orthanc /anonymize: HTTP ${res.status} ${text.slice(0, 500)}`);
          const made = JSON.parse(text) as { ID: string; Type?: string };
          const n = (await restJson<unknown[]>(pacs.o, `/studies/${made.ID}/instances`)).length;
          if (n !== count) throw new Error(`Orthanc /anonymize made ${n} instances (expected ${count})`);
          await deleteResource(pacs.o, 'studies', made.ID);
          return { elapsed_ms: elapsed, cpu_ms: null, server_cpu_ms: serverMs, outcome: { instances: n } };
        },
      },
      {
        key: 'amur_hospital_send',
        label: 'amur hospital send --json (PACS → de-identify → exchange)',
        what: 'the hospital\'s CLI in a new process, fresh AMUR_HOME with the agreement imported: WADO-RS of the study from the PACS Orthanc streamed, each instance de-identified with the ReidMap, STOW-RS to the exchange Orthanc in batches of 32 (which stores each with fsync); the de-identified study is deleted from the exchange afterwards, untimed',
        once: async (rep) => {
          const home = join(work, `hospital-${rep}`);
          await importAgreement(home);
          await syncDisk();
          const server = serverCpu([pacs, exchange]);
          const r = await cli(home, ['hospital', 'send', '--agreement', AGREEMENT, '--pacs', pacs.o.url, '--pacs-credentials', pacsCred,
            '--study', studyUid, '--request-id', 'REQ-BENCH-3', '--consent', 'CONSENT-BENCH-3', '--json']);
          const serverMs = server();
          const out = JSON.parse(r.stdout) as { study: string; instances: number };
          if (out.instances !== count || out.study === studyUid) throw new Error(`amur hospital send: ${r.stdout}`);
          const n = await studyInstanceCount(exchange.o, out.study);
          if (n !== count) throw new Error(`amur hospital send: the exchange holds ${n} instances of the de-identified study (expected ${count})`);
          await deleteResource(exchange.o, 'studies', (await lookup(exchange.o, out.study, 'Study'))!);
          rmSync(home, { recursive: true, force: true });
          return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, server_cpu_ms: serverMs, outcome: { instances: out.instances, on_exchange: n } };
        },
      },
    ];
    ctx.log(`3. de-identification of ${count} instances vs Orthanc /anonymize, ${reps} reps`);
    const deidResults = await runMethods(ctx, 'deid', deidMethods, reps, undefined, syncDisk);

    // ---- results ----
    const pullBytes = (pullResults.find((r) => r.key === 'curl_wado')?.outcome.bytes as number | undefined) ?? corpusBytes;
    const withRates = (rs: MethodResult[], n: number | null, bytes: number | null) => rs.map((r) => ({
      ...r,
      ...(n ? { instances_per_s_median: perSecond(n, r.summary.median_ms) } : {}),
      ...(bytes ? { mb_per_s_median: mbPerS(bytes, r.summary.median_ms) } : {}),
    }));
    const pullM = (k: string) => median(pullResults, k);
    const dM = (k: string) => median(deliverResults, k);
    const xM = (k: string) => median(deidResults, k);
    const pullNet = pullM('amur_pull') !== undefined && pullM('amur_pull_nothing') !== undefined ? pullM('amur_pull')! - pullM('amur_pull_nothing')! : undefined;
    const deliverNet = dM('amur_deliver') !== undefined && dM('amur_deliver_nothing') !== undefined ? dM('amur_deliver')! - dM('amur_deliver_nothing')! : undefined;
    const ratios = {
      pull_over_curl_median: ratio(pullM('amur_pull'), pullM('curl_wado')),
      pull_minus_floor_over_curl_median: ratio(pullNet, pullM('curl_wado')),
      pull_cpu_over_curl_cpu_median: ratio(cpuMedian(pullResults, 'amur_pull'), cpuMedian(pullResults, 'curl_wado')),
      import_over_curl_median: ratio(pullM('amur_import'), pullM('curl_wado')),
      pull_over_import_median: ratio(pullM('amur_pull'), pullM('amur_import')),
      deliver_over_curl_stow_median: ratio(dM('amur_deliver'), dM('curl_stow')),
      deliver_minus_floor_over_curl_stow_median: ratio(deliverNet, dM('curl_stow')),
      // Throughput ratios: Amur's instances/s over Orthanc's (above 1: Amur faster).
      deid_map_throughput_over_orthanc: ratio(xM('orthanc_anonymize'), xM('amur_deid_map')),
      deid_pure_throughput_over_orthanc: ratio(xM('orthanc_anonymize'), xM('amur_deid_pure')),
      hospital_send_throughput_over_orthanc: ratio(xM('orthanc_anonymize'), xM('amur_hospital_send')),
    };
    const machine = machineInfo(ctx.repoRoot);
    const json = {
      benchmark: 'roundtrip',
      machine,
      load_average_1m: { start: round2(loadAtStart), end: round2(os.loadavg()[0]) },
      tools: {
        orthanc: orthancVersion,
        orthanc_dicomweb: dicomwebVersion,
        curl: toolVersion('curl'),
        dcmodify: toolVersion('dcmodify', ['--version']),
      },
      corpus: {
        dir: basename(corpusDir),
        instances: files.length,
        bytes: corpusBytes,
        wado_rs_answer_bytes: pullBytes,
        study: studyUid,
        description: `the 28-slice GE head CT of dcm_qa_ct cycled into one study of ${files.length} instances (one Study/Series UID, a new SOP Instance UID and Instance Number per file; dcmodify), with the case attributes of agreement ${AGREEMENT} (Clinical Trial Protocol ID, Time Point ID/Description, consent, sponsor) and a pseudonymous patient, as \`amur hospital send\` leaves a study on the exchange`,
      },
      method: {
        reps,
        deliver_reps: deliverReps,
        order: 'every method once unmeasured (warm page cache and tsx compile cache), then the methods of each measurement interleaved rep after rep; preparing homes (agreement import), checks, deleting what a method left on an Orthanc and sync are between runs, untimed',
        orthanc: 'Debian Orthanc with its DICOMweb plugin as test/orthanc.ts runs it for the round-trip tests: loopback, basic authentication, default SyncStorageArea (fsync per stored file), storage in the OS temp folder; one exchange and one PACS; start-up, upload and shutdown not timed',
        cli: '`node bin/amur.js …` with its own AMUR_HOME: the whole process, Node and tsx start-up included',
        pull: 'amur pull in a fresh AMUR_HOME each rep (agreement imported first, untimed); checked: it reports the study pulled and the store holds all its instances, in one study with its case; curl asks for the same WADO-RS study with the same Accept header and writes the answer to a file; amur import of the same files from disk separates the network from the import',
        deliver: 'before each rep a new report is signed on the pulled study with `amur report sign` (ec.p12, the agreement\'s reader), which queues it; amur deliver sends it; the two objects are then deleted from the exchange and curl STOW-RS sends the same bytes (one multipart body, prepared beforehand, `Expect:` off) to the same exchange, then they are deleted again',
        deid: `the same ${files.length} instances: Amur's de-identification in-process (with the ReidMap as in hospital send, and the pure function with UIDs from memory; no output written) and through \`amur hospital send\` PACS → exchange (network and the exchange's storage included), against Orthanc's POST /studies/{id}/anonymize on the PACS Orthanc holding the study (its default profile; it writes the new study into its storage)`,
        cpu: 'CPU time (user+system, all threads): of the child process (amur, curl) from /proc/self/stat, of this process for in-process methods, and of the Orthanc(s) serving the method from /proc/PID/stat',
      },
      pull: { instances: files.length, bytes: pullBytes, methods: withRates(pullResults, files.length, pullBytes), ...(pullProfile ? { cli_profile: pullProfile } : {}) },
      deliver: { report_bytes: reportBytes, methods: deliverResults },
      deid: { instances: files.length, bytes: corpusBytes, methods: withRates(deidResults, files.length, corpusBytes) },
      ratios,
    };
    const md = markdown(json);
    const smoke = quick;
    const written = writeResults(smoke ? join(ctx.tmpRoot, 'results-smoke') : ctx.resultsDir, 'roundtrip', json, md);
    ctx.log(`wrote ${written.json} and ${written.md}`);
    process.stdout.write(`\n${md}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.o.destroy()));
    rmSync(work, { recursive: true, force: true });
  }
}

type Json = {
  machine: ReturnType<typeof machineInfo>;
  load_average_1m: { start: number; end: number };
  tools: Record<string, string | null>;
  corpus: { instances: number; bytes: number; wado_rs_answer_bytes: number };
  method: { reps: number; deliver_reps: number };
  pull: { methods: (MethodResult & { instances_per_s_median?: number | null; mb_per_s_median?: number })[]; cli_profile?: ProfileSummary };
  deliver: { report_bytes: number; methods: MethodResult[] };
  deid: { methods: (MethodResult & { instances_per_s_median?: number | null; mb_per_s_median?: number })[] };
  ratios: Record<string, number | null>;
};

function markdown(j: Json): string {
  const m = j.machine;
  const r = j.ratios;
  const L: string[] = [];
  const cpu = (x: MethodResult) => (x.cpu ? fmtMs(x.cpu.median_ms) : '–');
  const srv = (x: MethodResult) => (x.server_cpu ? fmtMs(x.server_cpu.median_ms) : '–');
  const get = (rs: MethodResult[], k: string) => rs.find((x) => x.key === k);
  L.push('## roundtrip: pull vs curl, report delivery vs curl STOW-RS, de-identification vs Orthanc /anonymize');
  L.push('');
  L.push(`Measured ${m.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu_count} × ${m.cpu_model}, ${m.total_memory_gib} GiB, ${m.platform} ${m.release}; Node ${m.node_version}; Orthanc ${j.tools.orthanc} (DICOMweb plugin ${j.tools.orthanc_dicomweb}); ${j.tools.curl?.split(' ').slice(0, 2).join(' ') ?? 'curl ?'}; commit ${m.git_commit?.slice(0, 10) ?? '?'}${m.git_dirty ? ' (with uncommitted changes)' : ''}; load average (1 min) ${j.load_average_1m.start} at start, ${j.load_average_1m.end} at end, on ${m.cpu_count} CPUs.`);
  L.push(`Study: the GE head CT cycled into one case study of ${j.corpus.instances} instances, ${(j.corpus.bytes / 1e6).toFixed(1)} MB (WADO-RS answer ${(j.corpus.wado_rs_answer_bytes / 1e6).toFixed(1)} MB), on two Orthancs as the round-trip tests run them (DICOMweb, basic auth, loopback). Every method once unmeasured, then ${j.method.reps} reps (delivery ${j.method.deliver_reps}), interleaved; median and min; CLI figures are whole processes, start-up included. "server CPU" is the Orthanc(s) serving the method.`);
  L.push('');
  const noRate = new Set(['amur_pull_nothing', 'curl_qido_instances']);
  L.push(`### Pull of ${j.corpus.instances} instances vs curl of the same WADO-RS study`);
  L.push('');
  L.push('| method | median | min | instances/s | MB/s | CPU (client) | server CPU |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const x of j.pull.methods) L.push(`| ${x.label} | ${fmtMs(x.summary.median_ms)} | ${fmtMs(x.summary.min_ms)} | ${noRate.has(x.key) ? '–' : x.instances_per_s_median} | ${noRate.has(x.key) ? '–' : x.mb_per_s_median} | ${cpu(x)} | ${srv(x)} |`);
  L.push('');
  L.push(`- **amur pull / curl = ${r.pull_over_curl_median}×** (median wall time; ${r.pull_minus_floor_over_curl_median}× without the pull command's own floor of start-up and one QIDO search; client CPU ${r.pull_cpu_over_curl_cpu_median}×).`);
  L.push(`- amur import of the same files from disk / curl = ${r.import_over_curl_median}×; amur pull / amur import = ${r.pull_over_import_median}×.`);
  const pm = (k: string) => get(j.pull.methods, k)?.summary.median_ms;
  const [pull, floor, wado, qido, imp] = [pm('amur_pull'), pm('amur_pull_nothing'), pm('curl_wado'), pm('curl_qido_instances'), pm('amur_import')];
  if (pull !== undefined && floor !== undefined && wado !== undefined && qido !== undefined && imp !== undefined) {
    const rest = pull - floor - wado - qido;
    L.push(`- Where the pull's ${fmtMs(pull)} go (medians, done one after the other): the command's floor (start-up, agreement check, store, the study search) ${fmtMs(floor)}; the instance list (QIDO-RS, as curl times it) ${fmtMs(qido)}; the transfer itself (WADO-RS, as curl times it) ${fmtMs(wado)}; the remaining ${fmtMs(rest)} is the import, which a pull does serially with the transfer (the stream waits while each batch of 64 is imported) and after writing every instance to a temp file first (${fmtMs(imp)} for \`amur import\` of the same files, its own start-up included).`);
  }
  const prof = j.pull.cli_profile;
  if (prof) {
    const top = (xs: { frame: string; ms: number }[], n: number) => xs.filter((f) => f.frame !== '(idle)' && f.frame !== '(program)').slice(0, n).map((f) => `${f.frame} ${f.ms} ms`).join('; ');
    L.push(`- Profile of one more pull (main thread, ${prof.total_ms} ms sampled, ${prof.idle_ms} ms idle). Most self time: ${top(prof.self, 8)}. Most inclusive time in Amur's code and its packages: ${top(prof.inclusive.filter(ownFrame), 10)}.`);
  }
  L.push('');
  L.push('### Delivery latency of one report vs curl STOW-RS of the same objects');
  L.push('');
  L.push(`One signed report: the SR and the Encapsulated PDF, ${(j.deliver.report_bytes / 1024).toFixed(0)} KiB together, into the ${j.corpus.instances}-instance study on the exchange.`);
  L.push('');
  L.push('| method | median | min | max | CPU (client) | server CPU |');
  L.push('|---|---:|---:|---:|---:|---:|');
  for (const x of j.deliver.methods) L.push(`| ${x.label} | ${fmtMs(x.summary.median_ms)} | ${fmtMs(x.summary.min_ms)} | ${fmtMs(x.summary.max_ms)} | ${cpu(x)} | ${srv(x)} |`);
  L.push('');
  const dn = get(j.deliver.methods, 'amur_deliver');
  const df = get(j.deliver.methods, 'amur_deliver_nothing');
  L.push(`- **amur deliver / curl STOW-RS = ${r.deliver_over_curl_stow_median}×** (median); without the CLI's floor (deliver with nothing queued) ${dn && df ? fmtMs(dn.summary.median_ms - df.summary.median_ms) : '?'}, ${r.deliver_minus_floor_over_curl_stow_median}× curl.`);
  const ns = get(j.deliver.methods, 'node_startup');
  if (df && ns) {
    const dimse = j.pull.cli_profile?.inclusive.find((f) => f.frame.includes('node_modules/dcmjs-dimse/'));
    L.push(`- The latency is the CLI's start-up: of the floor's ${fmtMs(df.summary.median_ms)}, Node itself takes ${fmtMs(ns.summary.median_ms)}; the rest is tsx and loading Amur's modules before any request.${dimse ? ` One avoidable part: pull and deliver load dcmjs-dimse (DIMSE, not used by DICOMweb; ${fmtMs(dimse.ms)} of the profiled pull's main thread) because core/cases/access.ts imports the core/exchange/index.ts barrel, which re-exports dimse.ts.` : ''} A long-running app (the desktop UI's outbox) pays it once, not per report.`);
  }
  L.push('');
  L.push(`### De-identification of ${j.corpus.instances} instances vs Orthanc's /anonymize`);
  L.push('');
  L.push('| method | median | min | instances/s | MB/s | CPU (client) | server CPU |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const x of j.deid.methods) L.push(`| ${x.label} | ${fmtMs(x.summary.median_ms)} | ${fmtMs(x.summary.min_ms)} | ${x.instances_per_s_median} | ${x.mb_per_s_median} | ${cpu(x)} | ${srv(x)} |`);
  L.push('');
  L.push(`- **Amur de-identification (as hospital send does it, with the map) / Orthanc /anonymize = ${r.deid_map_throughput_over_orthanc}× the instances/s**; the function alone ${r.deid_pure_throughput_over_orthanc}×; \`amur hospital send\` end to end (PACS → de-identify → exchange, network and the exchange's storage included) ${r.hospital_send_throughput_over_orthanc}×. Above 1: Amur faster.`);
  const xm = (k: string) => get(j.deid.methods, k)?.summary.median_ms;
  if (xm('amur_deid_map') !== undefined && xm('amur_deid_pure') !== undefined) {
    L.push(`- Per instance (medians): ${(xm('amur_deid_pure')! / j.corpus.instances).toFixed(1)} ms for the profile itself, ${((xm('amur_deid_map')! - xm('amur_deid_pure')!) / j.corpus.instances).toFixed(1)} ms more for the re-identification map (SQLite with synchronous=FULL; every new UID is its own committed write); Orthanc ${(xm('orthanc_anonymize')! / j.corpus.instances).toFixed(1)} ms including its storage.`);
  }
  L.push('- Not like for like: the in-process figures write nothing, Orthanc stores the new study (fsync per file and its index); hospital send reads from one Orthanc and stores into another.');
  L.push('');
  L.push('Raw samples and the exact method of each row: bench/results/roundtrip.json.');
  return L.join('\n');
}
