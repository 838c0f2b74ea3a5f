// Signing and verification times (issue 5): how long Amur takes to sign and to verify one DICOM
// object (the sample SR, and a 512x512 CT slice) and one PDF, with RSA-2048 and ECDSA P-256 keys,
// and the SM2 package signature; dcmsign's and pdfsig's verification of the same files, run as the
// processes a user would run, for comparison (their times include process start-up).
//
// Method: the test PKI is made with OpenSSL (test/fixtures/pki/make-pki.sh) into bench/tmp/signing;
// each operation runs once unmeasured, then --reps times (default 20) in process, interleaved per
// rep so a slow moment of the shared machine does not land on one operation only.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execFileSync } from 'node:child_process';
import PDFDocument from 'pdfkit';
import { X509Certificate } from 'node:crypto';
import { shared } from '../test/shared-data.js';
import {
  readPkcs12,
  signDicom,
  signPackageSm2,
  signPdf,
  verifyDicomSignatures,
  verifyPdfSignatures,
  writeSignedPackage,
  verifyPackageSm2,
  type SigningIdentity,
} from '../core/signing/index.js';
import { type Bench, type BenchContext, freshWorkDir, numberOption } from './lib/bench.js';
import { machineInfo, toolVersion } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { summarize, type Summary } from './lib/stats.js';

/** Sub-millisecond operations need two decimals to say anything. */
const fmtMs = (ms: number) => (ms < 100 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`);

async function reportPdf(pages: number): Promise<Buffer> {
  const doc = new PDFDocument({ info: { Title: 'Benchmark report' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((r) => doc.on('end', () => r()));
  for (let i = 0; i < pages; i++) {
    if (i) doc.addPage();
    for (let l = 0; l < 40; l++) doc.fontSize(10).text(`Page ${i + 1}, line ${l + 1}: findings text of a structured report.`);
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Op {
  key: string;
  label: string;
  run: () => Promise<void> | void;
}

const bench: Bench = {
  name: 'signing',
  description: 'sign and verify one DICOM object and one PDF (RSA, ECDSA), the SM2 package; dcmsign/pdfsig for reference',
  async run(ctx: BenchContext) {
    const reps = numberOption(ctx, 'reps', ctx.options.quick ? 5 : 20);
    const dir = freshWorkDir(ctx, 'signing');
    try {
      execFileSync('bash', [join(ctx.repoRoot, 'test', 'fixtures', 'pki', 'make-pki.sh'), join(dir, 'pki')], { stdio: 'ignore' });
      const pki = (f: string) => join(dir, 'pki', f);
      const pass = readFileSync(pki('passphrase.txt'), 'utf8');
      const ids: Record<string, SigningIdentity> = {
        rsa: readPkcs12(readFileSync(pki('rsa.p12')), pass),
        ec: readPkcs12(readFileSync(pki('ec.p12')), pass),
      };
      const sm2 = readPkcs12(readFileSync(pki('sm2.p12')), pass);
      const trust = [new X509Certificate(readFileSync(pki('ca.pem')))];
      const inputs = {
        sr: readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm')),
        ct: readFileSync(shared('dicom', 'dcm_qa_ct', 'In', 'GE', '14.dcm')),
        pdf: await reportPdf(3),
      };
      ctx.log(`inputs: SR ${inputs.sr.length} B, CT ${inputs.ct.length} B, PDF ${inputs.pdf.length} B`);

      const signed: Record<string, Buffer> = {};
      const ops: Op[] = [];
      for (const k of ['rsa', 'ec'] as const) {
        for (const what of ['sr', 'ct'] as const) {
          const file = join(dir, `${what}-${k}.dcm`);
          ops.push({ key: `sign-${what}-${k}`, label: `sign DICOM ${what.toUpperCase()} (${k})`, run: () => void (signed[file] = signDicom(inputs[what], ids[k]!)) });
          ops.push({
            key: `verify-${what}-${k}`,
            label: `verify DICOM ${what.toUpperCase()} (${k})`,
            run: () => {
              if (!verifyDicomSignatures(signed[file]!, trust)[0]!.valid) throw new Error('not valid');
            },
          });
        }
        const pdfFile = join(dir, `report-${k}.pdf`);
        ops.push({ key: `sign-pdf-${k}`, label: `sign PDF (${k})`, run: async () => void (signed[pdfFile] = await signPdf(inputs.pdf, ids[k]!)) });
        ops.push({
          key: `verify-pdf-${k}`,
          label: `verify PDF (${k})`,
          run: () => {
            if (!verifyPdfSignatures(signed[pdfFile]!, trust)[0]!.valid) throw new Error('not valid');
          },
        });
      }
      ops.push({
        key: 'sign-sm2',
        label: 'sign SM2 package (SR + CT + PDF)',
        run: () => void signPackageSm2([{ name: 'sr.dcm', bytes: inputs.sr }, { name: 'ct.dcm', bytes: inputs.ct }, { name: 'r.pdf', bytes: inputs.pdf }], sm2),
      });
      const pkgDir = join(dir, 'pkg');
      mkdirSync(pkgDir, { recursive: true });
      writeFileSync(join(pkgDir, 'sr.dcm'), inputs.sr);
      writeFileSync(join(pkgDir, 'ct.dcm'), inputs.ct);
      writeFileSync(join(pkgDir, 'r.pdf'), inputs.pdf);
      const manifest = writeSignedPackage(pkgDir, ['sr.dcm', 'ct.dcm', 'r.pdf'], sm2).manifest;
      ops.push({
        key: 'verify-sm2',
        label: 'verify SM2 package',
        run: () => {
          if (!verifyPackageSm2(manifest, trust).valid) throw new Error('not valid');
        },
      });
      // The referees, as processes (start-up included).
      const srRsa = join(dir, 'sr-rsa.dcm');
      const pdfRsa = join(dir, 'report-rsa.pdf');
      ops.push({ key: 'dcmsign-verify-sr', label: 'dcmsign --verify SR (process)', run: () => void execFileSync('dcmsign', ['--verify', '+rg', '+cf', pki('ca.pem'), srRsa], { stdio: 'ignore' }) });
      ops.push({ key: 'pdfsig-pdf', label: 'pdfsig PDF (process)', run: () => void execFileSync('pdfsig', [pdfRsa], { stdio: 'ignore' }) });

      // Warm-up round (also produces the signed files the verify and referee steps read).
      for (const op of ops) {
        await op.run();
        for (const [f, b] of Object.entries(signed)) writeFileSync(f, b);
      }
      const samples = new Map<string, number[]>(ops.map((o) => [o.key, []]));
      for (let r = 0; r < reps; r++) {
        for (const op of ops) {
          const t0 = performance.now();
          await op.run();
          samples.get(op.key)!.push(performance.now() - t0);
        }
      }
      const results = ops.map((o) => ({ key: o.key, label: o.label, summary: summarize(samples.get(o.key)!) as Summary, raw: samples.get(o.key)! }));
      const forJson = results.map(({ raw: _raw, ...r }) => r);
      const machine = machineInfo(ctx.repoRoot);
      const rows = results.map((r) => `| ${r.label} | ${fmtMs(median(r.raw))} | ${fmtMs(Math.min(...r.raw))} |`);
      const md = [
        '## signing',
        '',
        `Sign and verify in process (core/signing), ${reps} repetitions after one warm-up, on ${machine.cpu_model}.`,
        `Inputs: the dcmjs sample SR (${inputs.sr.length} B), a 512x512 GE CT slice (${inputs.ct.length} B), a 3-page pdfkit PDF (${inputs.pdf.length} B);`,
        'RSA-2048 and ECDSA P-256 signers from a test CA; MAC SHA256; PAdES-B (ETSI.CAdES.detached).',
        `dcmsign (${toolVersion('dcmsign', ['--version'])?.split('\n')[0] ?? '?'}) and pdfsig run as processes, start-up included.`,
        '',
        '| operation | median | min |',
        '| --- | --- | --- |',
        ...rows,
      ].join('\n');
      const out = writeResults(ctx.resultsDir, 'signing', { machine, reps, inputs: { sr: inputs.sr.length, ct: inputs.ct.length, pdf: inputs.pdf.length }, results: forJson }, md);
      for (const r of results) ctx.log(`${r.label.padEnd(40)} median ${fmtMs(median(r.raw))}  min ${fmtMs(Math.min(...r.raw))}`);
      ctx.log(`results: ${out.md}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
