// The desktop app's language: AMUR_LANG or the locale variables when set (as for the CLI), else the
// operating system's preferred languages, which a Windows or macOS app started from its icon has
// instead of LANG. Its startup dialogs and the services' messages use it; the window has its own switch.
import { languageFromEnv, type Language } from '../core/i18n/index.js';

export function desktopLanguage(env: NodeJS.ProcessEnv, systemLanguages: readonly string[]): Language {
  if (env.AMUR_LANG || env.LC_ALL || env.LC_MESSAGES || env.LANG) return languageFromEnv(env);
  for (const l of systemLanguages) {
    const v = l.toLowerCase();
    if (v.startsWith('zh')) return 'zh-CN';
    if (v.startsWith('ru')) return 'ru';
    if (v.startsWith('en')) return 'en';
  }
  return 'en';
}
