// Translations for everything core says to a person (error reasons, CLI tables). The UI uses the
// same catalogues in assets/i18n, so a reason reads the same in the CLI and on screen.
import i18next, { type i18n } from 'i18next';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAmurError } from '../common/errors.js';

export const LANGUAGES = ['zh-CN', 'ru', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

type Tree = { [k: string]: string | Tree };

/** Each area keeps its strings in its own file (assets/i18n/<lang>/<area>.json); they merge here. */
function load(lang: Language): Tree {
  const dir = fileURLToPath(new URL(`../../assets/i18n/${lang}/`, import.meta.url));
  const tree: Tree = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    merge(tree, JSON.parse(readFileSync(dir + f, 'utf8')) as Tree);
  }
  return tree;
}

function merge(into: Tree, from: Tree): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (typeof v === 'object' && typeof cur === 'object') merge(cur, v);
    else into[k] = v;
  }
}

let instance: i18n | undefined;
/**
 * English (the fallback) from the start, another language when first asked for: reading all three
 * catalogues was most of a short command's start-up after Node itself (`amur --help`).
 */
function get(lang: Language): i18n {
  if (!instance) {
    instance = i18next.createInstance();
    void instance.init({
      initImmediate: false,
      lng: 'en',
      fallbackLng: 'en',
      resources: { en: { translation: load('en') } },
      interpolation: { escapeValue: false },
      returnNull: false,
    } as any);
  }
  if (!instance.hasResourceBundle(lang, 'translation')) instance.addResourceBundle(lang, 'translation', load(lang));
  return instance;
}

/** Picks the reader's language from AMUR_LANG, then LC_ALL/LC_MESSAGES/LANG; English otherwise. */
export function languageFromEnv(env: NodeJS.ProcessEnv = process.env): Language {
  const raw = env.AMUR_LANG || env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  const v = raw.toLowerCase();
  if (v.startsWith('zh')) return 'zh-CN';
  if (v.startsWith('ru')) return 'ru';
  return 'en';
}

export function t(key: string, params: Record<string, unknown> = {}, lang: Language = 'en'): string {
  return get(lang).getFixedT(lang)(key, params) as string;
}

/** The translated text of any error: an AmurError by its code, anything else as an internal error. */
export function errorMessage(e: unknown, lang: Language = 'en'): string {
  if (isAmurError(e)) return t(`errors.${e.code}`, e.params, lang);
  const detail = e instanceof Error ? e.message : String(e);
  return t('errors.internal', { detail }, lang);
}
