// One error type for everything a user may see: a stable code that names the i18n message,
// and the parameters the message needs (a file name, a tag). The text itself is chosen by the
// reader's language at the edge (CLI, UI), never baked in here.

export type ErrorParams = Record<string, string | number>;

export class AmurError extends Error {
  readonly code: string;
  readonly params: ErrorParams;

  constructor(code: string, params: ErrorParams = {}, options?: { cause?: unknown }) {
    super(`${code} ${JSON.stringify(params)}`, options);
    this.name = 'AmurError';
    this.code = code;
    this.params = params;
  }
}

export function isAmurError(e: unknown): e is AmurError {
  return e instanceof AmurError;
}
