// A host error as the user reads it: its code's translation in the language on screen, with the
// parameters the host sent; an error without a known code says so without internal names.
type T = (k: string, o?: Record<string, unknown>) => string;

export function errorText(e: unknown, t: T, exists: (k: string) => boolean): string {
  const err = e as { code?: string; params?: Record<string, unknown>; message?: string };
  const key = `errors.${err.code ?? 'internal'}`;
  return err.code && exists(key) ? t(key, err.params ?? {}) : t('errors.internal', { detail: err.message ?? String(e) });
}
