// What a CLI command is: a name, a one-line help, and a run function that gets its arguments and
// an output context (language, streams). Commands live one per file in cli/commands/.
import type { Language } from '../core/i18n/index.js';

export interface CliContext {
  lang: Language;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /**
   * For a command that unlocks while it runs (`unlocksWhileRunning`): resolves once the home's
   * vault is unlocked, rejects with the reason it could not be (wrong passphrase, none given).
   */
  unlocked?: Promise<void>;
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
  /**
   * With `vault: 'required'`: the command starts while the vault's key is derived (scrypt, about
   * 0.4 s of one core) and awaits `ctx.unlocked` before it opens the store; `amur import` reads and
   * parses its files meanwhile. Without it the command runs once the home is unlocked.
   */
  unlocksWhileRunning?: boolean;
  /** The command's own --passphrase-file (a signing identity's): the vault's then comes from the environment only. */
  ownsPassphraseFile?: boolean;
  /** Returns the process exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}
