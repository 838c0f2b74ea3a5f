// Renders the examples page of MODEL_CARD.md through the product's own runtime: the model's heatmap
// over validation radiographs of each population, so that a person can look at where the model looks.
//   node --import tsx models/cxr-pneumonia/train/render-overlays.ts [OUT_PNG] [N]
// For each population (manifest "populations"), from its validation split (train/val_scores.json):
// the N highest-scored pneumonia images (true positives) and the N highest-scored normal images (the
// worst false positives). Each tile is the radiograph on the left and the overlay on the right (jet
// colours, opacity by heat, as the viewer draws it); one row per population and kind. The tile list,
// with scores, goes between the card's examples markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { readManifest } from '../../../core/triage/models.js';
import { heatmapFromCam, heatmapScale, ModelRunner } from '../../../core/triage/runner.js';
import { populationImage, readGreyImages } from '../../../test/triage-fixtures.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MODEL_DIR = dirname(HERE);
const out = process.argv[2] ?? join(HERE, 'examples.png');
const n = Number(process.argv[3] ?? 3);
const TILE = 128;

interface ValScore { population: string; filename: string; label: string; score: number; accepted: boolean; in_age_band: boolean }
const manifest = readManifest(MODEL_DIR);
const runner = await ModelRunner.load({ manifest, modelPath: join(MODEL_DIR, manifest.file) });
const val: ValScore[] = JSON.parse(readFileSync(join(HERE, 'val_scores.json'), 'utf8'));

const rows: { title: string; tiles: (ValScore & { grey: Uint8Array; width: number; height: number; heat: number[]; runtimeScore: number })[] }[] = [];
for (const [p, pop] of manifest.populations.entries()) {
  const scored = val.filter((v) => v.population === pop.id && v.accepted && v.in_age_band).sort((a, b) => b.score - a.score);
  for (const [kind, label] of [['true positives', 'pneumonia'], ['false positives', 'normal']] as const) {
    const pick = scored.filter((v) => v.label === label).slice(0, n);
    const imgs = readGreyImages(pick.map((v) => populationImage(pop.id, v.filename)));
    const tiles = [];
    for (const [i, v] of pick.entries()) {
      const { width, height, grey } = imgs[i];
      const { score, cam } = await runner.run(runner.preprocess({ width, height, data: Float32Array.from(grey, (g) => g / 255), notes: [] }), p);
      tiles.push({ ...v, width, height, grey, heat: heatmapFromCam(cam, heatmapScale(manifest, p)), runtimeScore: score });
    }
    rows.push({ title: `${pop.id}, ${kind}`, tiles });
  }
}
await runner.release();

function jet(v: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.max(0, Math.min(1, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

/** Bilinear sample of the heat grid at a position in 0..1, grid cells centred (as the viewer does). */
function sample(heat: number[], side: number, u: number, v: number): number {
  const gx = Math.max(0, Math.min(side - 1, u * side - 0.5));
  const gy = Math.max(0, Math.min(side - 1, v * side - 0.5));
  const x0 = Math.floor(gx), y0 = Math.floor(gy), x1 = Math.min(side - 1, x0 + 1), y1 = Math.min(side - 1, y0 + 1);
  const fx = gx - x0, fy = gy - y0;
  const g = (yy: number, xx: number) => heat[yy * side + xx];
  return (g(y0, x0) * (1 - fx) + g(y0, x1) * fx) * (1 - fy) + (g(y1, x0) * (1 - fx) + g(y1, x1) * fx) * fy;
}

const cols = n;
const png = new PNG({ width: cols * TILE * 2 + (cols - 1) * 4, height: rows.length * TILE + (rows.length - 1) * 4 });
png.data.fill(255);
for (const [r, row] of rows.entries()) {
  for (const [c, t] of row.tiles.entries()) {
    const side = Math.round(Math.sqrt(t.heat.length));
    const ox = c * (TILE * 2 + 4);
    const oy = r * (TILE + 4);
    for (let y = 0; y < TILE; y++) {
      for (let x = 0; x < TILE; x++) {
        const u = (x + 0.5) / TILE, v = (y + 0.5) / TILE;
        const g = t.grey[Math.floor(v * t.height) * t.width + Math.floor(u * t.width)];
        const h = sample(t.heat, side, u, v);
        const [hr, hg, hb] = jet(h);
        const a = 0.55 * h;
        for (const [dx, rgb] of [[0, [g, g, g]], [TILE, [g * (1 - a) + hr * a, g * (1 - a) + hg * a, g * (1 - a) + hb * a]]] as const) {
          const i = ((oy + y) * png.width + ox + dx + x) * 4;
          png.data[i] = rgb[0]; png.data[i + 1] = rgb[1]; png.data[i + 2] = rgb[2]; png.data[i + 3] = 255;
        }
      }
    }
  }
}
writeFileSync(out, PNG.sync.write(png));

// The tile list in the card, so each tile is named with its score.
const lines = rows.map((row, r) => `- row ${r + 1}, ${row.title}: ` + row.tiles.map((t) => `\`${t.filename}\` ${t.runtimeScore.toFixed(3)}`).join('; '));
const cardPath = join(MODEL_DIR, 'MODEL_CARD.md');
const card = readFileSync(cardPath, 'utf8');
const [a, b] = [card.indexOf('<!-- examples:start -->'), card.indexOf('<!-- examples:end -->')];
if (a >= 0 && b > a && out === join(HERE, 'examples.png')) {
  writeFileSync(cardPath, `${card.slice(0, a + '<!-- examples:start -->'.length)}\n${lines.join('\n')}\n${card.slice(b)}`);
}
console.log(lines.join('\n'));
