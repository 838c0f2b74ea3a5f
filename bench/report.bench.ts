// Report benchmark: the time to render one report (SR + PDF + Encapsulated PDF from a draft), to
// render and sign it (every signature the sign command makes: DICOM on the SR and the Encapsulated
// PDF, PAdES on the PDF, and the SM2 package signature), and to verify all of them as `amur verify`
// does, in process on the 28-slice Philips head CT with the report tests' draft. The test PKI is made
// by OpenSSL for the run (test/fixtures/pki/make-pki.sh): an RSA-2048 signer and an SM2 signer.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveReport } from '../core/reports/content.js';
import { newUid, validateDraft } from '../core/reports/draft.js';
import { writeEncapsulatedPdf } from '../core/reports/encapsulated-pdf.js';
import { renderReportPdf } from '../core/reports/pdf.js';
import { renderSignedReport } from '../core/reports/sign.js';
import { writeSR } from '../core/reports/sr.js';
import { readPkcs12, verifyFile } from '../core/signing/index.js';
import { makePki } from '../test/fixtures/pki/pki.js';
import { filledDraft } from '../test/report-fixtures.js';
import { numberOption, type Bench, type BenchContext } from './lib/bench.js';
import { machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { fmtMs, summarize, type Summary } from './lib/stats.js';

async function time(reps: number, f: () => Promise<unknown> | unknown): Promise<Summary> {
  await f(); // warm-up: module loading, font parsing, JIT
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

const bench: Bench = {
  name: 'report',
  description: 'render one report (SR + PDF + Encapsulated PDF), render and sign it, verify it',
  async run(ctx: BenchContext) {
    const reps = numberOption(ctx, 'reps', ctx.options.quick ? 3 : 10);
    const pki = makePki();
    try {
      const identity = readPkcs12(readFileSync(pki.file('rsa.p12')), pki.passphrase);
      const sm2Identity = readPkcs12(readFileSync(pki.file('sm2.p12')), pki.passphrase);
      const trust = [pki.cert('ca.pem')];
      const { draft, template } = validateDraft(JSON.parse(JSON.stringify(filledDraft())), 'draft.json');

      ctx.log(`render, ${reps} repetitions`);
      const render = await time(reps, async () => {
        const content = resolveReport(draft, template, new Date());
        const sr = { SeriesInstanceUID: newUid(), SOPInstanceUID: newUid() };
        writeSR(content, sr);
        const pdf = await renderReportPdf(content, { reportUID: sr.SOPInstanceUID });
        writeEncapsulatedPdf(content, pdf, { SeriesInstanceUID: newUid(), SOPInstanceUID: newUid() }, sr);
      });
      ctx.log(`render and sign, ${reps} repetitions`);
      let files: Record<string, Buffer> = {};
      const sign = await time(reps, async () => {
        files = (await renderSignedReport(draft, template, identity, { sm2Identity })).files;
      });
      // verifyFile reads from disk (the package manifest names its neighbours), as `amur verify` does.
      const dir = mkdtempSync(join(ctx.tmpRoot, 'report-'));
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
      ctx.log(`verify, ${reps} repetitions`);
      const verify = await time(reps, () => {
        for (const name of Object.keys(files).filter((n) => !n.endsWith('.sig'))) {
          const v = verifyFile(join(dir, name), trust);
          if (!v.valid) throw new Error(`${name} did not verify: ${JSON.stringify(v.problems)}`);
        }
      });
      rmSync(dir, { recursive: true, force: true });
      const sizes = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.length]));
      const json = { reps, render, sign, verify, sizes_bytes: sizes, machine: machineInfo(ctx.repoRoot) };
      const m = json.machine;
      const md = `## report: render, sign and verify one report

Machine: ${m.cpu_count} × ${m.cpu_model}, Node ${m.node_version}, load ${m.load_average_1m_at_start} at start, commit ${m.git_commit?.slice(0, 10)}${m.git_dirty ? ' (dirty)' : ''}, ${m.date}.
Draft: the report tests' CT head draft on the 28-slice Philips head CT (3 findings, 2 measurement groups, 1 accepted AI finding), reader ru; RSA-2048 signer plus the SM2 package signature. Median of ${reps} after one warm-up.

| step | median | min | max |
| --- | --- | --- | --- |
| render (SR + PDF + Encapsulated PDF, unsigned) | ${fmtMs(render.median_ms)} | ${fmtMs(render.min_ms)} | ${fmtMs(render.max_ms)} |
| render and sign: DICOM ×2, PAdES, SM2 package (what \`amur report sign\` does, without writing) | ${fmtMs(sign.median_ms)} | ${fmtMs(sign.min_ms)} | ${fmtMs(sign.max_ms)} |
| verify every file as \`amur verify\` does (both DICOM objects, the PDF, the SM2 manifest) | ${fmtMs(verify.median_ms)} | ${fmtMs(verify.min_ms)} | ${fmtMs(verify.max_ms)} |

Sizes: ${Object.entries(sizes).map(([k, v]) => `${k} ${Math.round(v / 1024)} KiB`).join(', ')}.
`;
      const out = writeResults(ctx.resultsDir, 'report', json, md);
      ctx.log(`render ${fmtMs(render.median_ms)}, sign ${fmtMs(sign.median_ms)}, verify ${fmtMs(verify.median_ms)}; ${out.md}`);
    } finally {
      pki.remove();
    }
  },
};

export default bench;
