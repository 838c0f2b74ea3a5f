// The UI's translations: the same catalogues as core (assets/i18n/<lang>/*.json, merged per
// language), so an error code from the host reads the same as in the CLI. The chosen language is
// the only thing the UI keeps in browser storage.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';

export const LANGUAGES = ['zh-CN', 'ru', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'amur.language';

type Tree = { [k: string]: string | Tree };
const files = import.meta.glob<Tree>('../../assets/i18n/*/*.json', { eager: true, import: 'default' });

function merge(into: Tree, from: Tree): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (typeof v === 'object' && typeof cur === 'object') merge(cur, v);
    else into[k] = v;
  }
}

function resources(): Record<string, { translation: Tree }> {
  const out: Record<string, { translation: Tree }> = {};
  for (const lang of LANGUAGES) out[lang] = { translation: {} };
  for (const name of Object.keys(files).sort()) {
    const lang = name.split('/').at(-2) as Language;
    if (out[lang]) merge(out[lang].translation, files[name]);
  }
  return out;
}

export function preferredLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && (LANGUAGES as readonly string[]).includes(saved)) return saved as Language;
  for (const l of navigator.languages ?? [navigator.language]) {
    const v = l.toLowerCase();
    if (v.startsWith('zh')) return 'zh-CN';
    if (v.startsWith('ru')) return 'ru';
    if (v.startsWith('en')) return 'en';
  }
  return 'en';
}

export function initI18n(): void {
  const lng = preferredLanguage();
  void i18next.use(initReactI18next).init({
    resources: resources(),
    lng,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
    initAsync: false,
    returnNull: false,
  } as any);
  document.documentElement.lang = lng;
}

export function setLanguage(lang: Language): void {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  void i18next.changeLanguage(lang);
}

/** The translated text of an error from the host (an AmurError code) or of the UI itself. */
export function errorText(e: unknown): string {
  const err = e as { code?: unknown; params?: Record<string, unknown>; message?: string };
  if (typeof err?.code === 'string' && i18next.exists(`errors.${err.code}`)) {
    return i18next.t(`errors.${err.code}`, err.params ?? {});
  }
  return i18next.t('errors.internal', { detail: err?.message ?? String(e) });
}
