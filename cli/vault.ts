// How the CLI unlocks the encrypted data of AMUR_HOME before a command that needs them runs: the
// passphrase comes from the file --passphrase-file names (for commands with no option of that name
// of their own) or AMUR_PASSPHRASE_FILE names; the browser shell may also ask for it on its
// terminal. A home without a vault gets one with that passphrase, so a new store is encrypted from
// its first byte. Without any passphrase the command is refused before it touches anything.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { AmurError } from '../core/common/errors.js';
import { amurHome } from '../core/common/paths.js';
import { t } from '../core/i18n/index.js';
import { isUnlocked, PASSPHRASE_FILE_ENV, unlockFromEnvironment, unlockWithPassphraseOrCreate } from '../core/vault/session.js';
import { vaultExists } from '../core/vault/vault.js';
import { StudyStore, type MigrationProgress } from '../core/store/store.js';
import type { CliContext, Command } from './command.js';

/** Unlocks the command's home; returns its arguments without the vault's --passphrase-file. */
export async function unlockHome(command: Pick<Command, 'vault' | 'ownsPassphraseFile'>, args: string[], ctx: CliContext): Promise<string[]> {
  const { rest, unlocked } = startUnlockingHome(command, args, ctx);
  await unlocked;
  return rest;
}

/**
 * Starts unlocking the command's home: its arguments without the vault's --passphrase-file at once,
 * and the unlock itself as a promise (for a command that reads its input meanwhile).
 */
export function startUnlockingHome(command: Pick<Command, 'vault' | 'ownsPassphraseFile'>, args: string[], ctx: CliContext): { rest: string[]; unlocked: Promise<void> } {
  const { rest, file } = command.ownsPassphraseFile ? { rest: args, file: undefined } : splitPassphraseFile(args);
  return { rest, unlocked: unlock(command, file, ctx) };
}

async function unlock(command: Pick<Command, 'vault'>, file: string | undefined, ctx: CliContext): Promise<void> {
  const home = amurHome(ctx.env);
  if (isUnlocked(home)) return;
  if (!file && !ctx.env[PASSPHRASE_FILE_ENV] && command.vault === 'prompt' && process.stdin.isTTY) {
    const created = !vaultExists(home);
    const passphrase = await askHidden(t(created ? 'vault.cli.promptNew' : 'vault.cli.prompt', { path: home }, ctx.lang), ctx);
    if (!passphrase) throw new AmurError('vault.passphraseNeeded', { path: home, env: PASSPHRASE_FILE_ENV });
    if (created && (await askHidden(t('vault.cli.promptAgain', {}, ctx.lang), ctx)) !== passphrase) {
      throw new AmurError('vault.passphraseMismatch', {});
    }
    await unlockWithPassphraseOrCreate(home, passphrase);
    return;
  }
  await unlockFromEnvironment(home, ctx.env, file);
}

/** The vault's --passphrase-file F taken out of a command's arguments. */
export function splitPassphraseFile(args: string[]): { rest: string[]; file?: string } {
  const i = args.indexOf('--passphrase-file');
  if (i < 0) return { rest: args };
  const file = args[i + 1];
  if (!file || file.startsWith('--')) throw new AmurError('vault.passphraseFileMissing', {});
  return { rest: [...args.slice(0, i), ...args.slice(i + 2)], file };
}

/** A line typed on the terminal without echoing it. */
function askHidden(prompt: string, ctx: CliContext): Promise<string> {
  // The terminal is put in raw mode (no echo) by the interface before the prompt shows: a
  // passphrase typed the moment the prompt appears is never echoed by the terminal itself.
  const mute = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = createInterface({ input: process.stdin, output: mute, terminal: true });
  ctx.stderr.write(prompt);
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      ctx.stderr.write('\n');
      resolve(answer);
    });
  });
}

/**
 * The store of the command's home, opened with the vault unlocked; a store an earlier version left
 * in clear is encrypted on this first open, with its progress on stderr.
 */
export function openStore(ctx: CliContext, home = amurHome(ctx.env)): StudyStore {
  return StudyStore.open(home, { onMigrate: migrationProgress(ctx) });
}

/** The progress of encrypting a store left in clear, as lines on stderr (at most two a second). */
export function migrationProgress(ctx: Pick<CliContext, 'stderr' | 'lang'>): (p: MigrationProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 500 && p.done !== p.total) return;
    last = now;
    ctx.stderr.write(`${t('vault.cli.migrating', { phase: p.phase, done: p.done, total: p.total }, ctx.lang)}\n`);
  };
}
