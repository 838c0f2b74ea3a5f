// Every UI string exists in zh-CN, ru and en: the same keys in each language's ui.json and
// host.json (plural forms per language aside), and every literal key the UI code asks for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared-data.js';

const LANGS = ['zh-CN', 'ru', 'en'] as const;
const FILES = ['ui.json', 'host.json'];
type Tree = { [k: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

function load(lang: string, file: string): Map<string, string> {
  return flatten(JSON.parse(readFileSync(join(REPO_ROOT, 'assets', 'i18n', lang, file), 'utf8')) as Tree);
}

/** A plural key counts once, under its base name (Russian has _few/_many, Chinese only _other). */
const base = (k: string) => k.replace(/_(zero|one|two|few|many|other)$/, '');

test('the UI catalogues have the same keys in every language, all non-empty', () => {
  for (const file of FILES) {
    const keys = LANGS.map((l) => new Set([...load(l, file).keys()].map(base)));
    for (let i = 1; i < keys.length; i++) assert.deepEqual([...keys[i]].sort(), [...keys[0]].sort(), `${file}: ${LANGS[i]} vs ${LANGS[0]}`);
    for (const l of LANGS) for (const [k, v] of load(l, file)) assert.ok(v.trim(), `${l}/${file} ${k} is empty`);
  }
});

test('plural forms follow each language: ru one/few/many/other, en one/other, zh-CN other', () => {
  const forms = { ru: ['one', 'few', 'many', 'other'], en: ['one', 'other'], 'zh-CN': ['other'] } as const;
  for (const l of LANGS) {
    const keys = [...load(l, 'ui.json').keys()];
    for (const k of keys.filter((x) => x.endsWith('_other'))) {
      const stem = k.slice(0, -'_other'.length);
      const have = keys.filter((x) => base(x) === stem && x !== stem).map((x) => x.slice(stem.length + 1)).sort();
      assert.deepEqual(have, [...forms[l]].sort(), `${l} ${stem}`);
    }
  }
});

test('every literal key the UI code uses is translated in every language', () => {
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) { if (n !== 'dist' && n !== 'viewer') walk(p); } else if (/\.tsx?$/.test(n)) sources.push(p);
    }
  };
  walk(join(REPO_ROOT, 'renderer'));
  const used = new Set<string>();
  for (const f of sources) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\bt\(\s*'((?:ui|errors)\.[A-Za-z0-9_.-]+)'/g)) used.add(m[1]);
    for (const m of readFileSync(f, 'utf8').matchAll(/labelKey: '([^']+)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 20, `found the UI's keys (${used.size})`);
  for (const l of LANGS) {
    const keys = new Set([...load(l, 'ui.json').keys(), ...load(l, 'host.json').keys()].map(base));
    for (const file of readdirSync(join(REPO_ROOT, 'assets', 'i18n', l))) {
      for (const k of load(l, file).keys()) keys.add(base(k));
    }
    for (const k of used) assert.ok(keys.has(k), `${l} lacks ${k}`);
  }
});
