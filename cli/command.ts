// What a CLI command is: a name, a one-line help, and a run function that gets its arguments and
// an output context (language, streams). Commands live one per file in cli/commands/.
import type { Language } from '../core/i18n/index.js';

export interface CliContext {
  lang: Language;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  /** i18n key of the one-line description shown by `amur help`. */
  summaryKey: string;
  usage: string;
  /**
   * The command reads or writes patient data under AMUR_HOME: the home's vault is unlocked before it
   * runs (AMUR_PASSPHRASE_FILE, or --passphrase-file when the command has no option of that name
   * itself), and without a passphrase it is refused ('vault.locked').
   */
  vault?: 'required' | 'prompt';
  /** The command's own --passphrase-file (a signing identity's): the vault's then comes from the environment only. */
  ownsPassphraseFile?: boolean;
  /** Returns the process exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}
