// Renders the model's heatmap over chest radiographs, through the product's own runtime, so that a
// person can look at where the model looks (MODEL_CARD.md "What the heatmaps show").
//   node --import tsx models/cxr-pneumonia/train/render-overlays.ts OUT_DIR [N]
// Picks from the val split: the N highest-scored pneumonia cases, the N lowest-scored normals, and
// the N worst errors each way (normals scored highest, pneumonias scored lowest). Each PNG is the
// radiograph on the left and the overlay (jet colours, opacity by heat) on the right.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { selectModel } from '../../../core/triage/models.js';
import { heatmapFromCam, ModelRunner } from '../../../core/triage/runner.js';
import { cxrRows, readPng } from '../../../test/triage-fixtures.js';

const out = process.argv[2];
const n = Number(process.argv[3] ?? 3);
if (!out) throw new Error('usage: render-overlays.ts OUT_DIR [N]');
mkdirSync(out, { recursive: true });

const model = selectModel();
const runner = await ModelRunner.load(model);
const rows = cxrRows().filter((r) => r.chexnet_split === 'val');
const scored = [];
for (const r of rows) {
  const { width, height, grey } = readPng(r.filename);
  const tensor = runner.preprocess({ width, height, data: Float32Array.from(grey, (v) => v / 255), notes: [] });
  const { score, cam } = await runner.run(tensor);
  scored.push({ ...r, width, height, grey, score, heat: heatmapFromCam(cam, model.manifest.outputs.cam?.heatmap_scale) });
}
const pos = scored.filter((s) => s.label === 'pneumonia').sort((a, b) => b.score - a.score);
const neg = scored.filter((s) => s.label === 'normal').sort((a, b) => a.score - b.score);
const picks = [
  ...pos.slice(0, n).map((s) => ['TP', s] as const),
  ...neg.slice(0, n).map((s) => ['TN', s] as const),
  ...neg.slice(-n).map((s) => ['FP', s] as const),
  ...pos.slice(-n).map((s) => ['FN', s] as const),
];

function jet(v: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.max(0, Math.min(1, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

/** Bilinear sample of the 16x16 grid at image position (x, y), grid cells centred. */
function sample(heat: number[], side: number, x: number, y: number, w: number, h: number): number {
  const gx = Math.max(0, Math.min(side - 1, ((x + 0.5) / w) * side - 0.5));
  const gy = Math.max(0, Math.min(side - 1, ((y + 0.5) / h) * side - 0.5));
  const x0 = Math.floor(gx), y0 = Math.floor(gy), x1 = Math.min(side - 1, x0 + 1), y1 = Math.min(side - 1, y0 + 1);
  const fx = gx - x0, fy = gy - y0;
  const g = (yy: number, xx: number) => heat[yy * side + xx];
  return (g(y0, x0) * (1 - fx) + g(y0, x1) * fx) * (1 - fy) + (g(y1, x0) * (1 - fx) + g(y1, x1) * fx) * fy;
}

const summary = [];
for (const [kind, s] of picks) {
  const png = new PNG({ width: s.width * 2, height: s.height });
  const side = Math.round(Math.sqrt(s.heat.length));
  for (let y = 0; y < s.height; y++) {
    for (let x = 0; x < s.width; x++) {
      const g = s.grey[y * s.width + x];
      const v = sample(s.heat, side, x, y, s.width, s.height);
      const [r, gg, b] = jet(v);
      const a = 0.55 * v;
      for (const [ox, rgb] of [[0, [g, g, g]], [s.width, [g * (1 - a) + r * a, g * (1 - a) + gg * a, g * (1 - a) + b * a]]] as const) {
        const i = (y * s.width * 2 + x + ox) * 4;
        png.data[i] = rgb[0]; png.data[i + 1] = rgb[1]; png.data[i + 2] = rgb[2]; png.data[i + 3] = 255;
      }
    }
  }
  const name = `${kind}-${s.view}-${s.score.toFixed(3)}-${s.filename.replace(/^images\//, '').replace('.png', '')}.png`;
  writeFileSync(join(out, name), PNG.sync.write(png));
  summary.push({ kind, file: s.filename, view: s.view, label: s.label, score: Number(s.score.toFixed(4)) });
}
writeFileSync(join(out, 'overlays.json'), JSON.stringify(summary, null, 1));
console.log(JSON.stringify(summary, null, 1));
await runner.release();
