// `amur vault info [--json]`: what protects the home's encrypted store (no unlock needed).
// `amur vault passphrase --new-passphrase-file F`: replaces the passphrase, once the store is
// unlocked with the current one (AMUR_PASSPHRASE_FILE or --passphrase-file); the master key stays,
// so nothing is re-encrypted, and the change is an audit event. Also how a store the desktop app
// made (its key in the OS key store) gets a passphrase the CLI can use.
import { audit } from '../../core/audit/index.js';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
import { readPassphraseFile, unlockFromEnvironment } from '../../core/vault/session.js';
import { readVaultInfo, setPassphrase } from '../../core/vault/vault.js';
import { parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { splitPassphraseFile } from '../vault.js';

const usage = (): never => {
  throw new AmurError('vault.cli.usage');
};

export const vaultCommand: Command = {
  name: 'vault',
  summaryKey: 'vault.cli.summary',
  usage: 'vault info [--json] | passphrase --new-passphrase-file F',
  async run(args, ctx) {
    const home = amurHome(ctx.env);
    const [sub, ...restArgs] = args;
    if (sub === 'info') {
      const { flags, rest } = parseArgs(restArgs, { flags: ['json'] }, usage);
      if (rest.length) usage();
      const info = readVaultInfo(home);
      if (flags.has('json')) ctx.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else {
        const kdf = info.kdf ? `${info.kdf.name} N=${info.kdf.N} r=${info.kdf.r} p=${info.kdf.p}` : t('vault.cli.noPassphrase', {}, ctx.lang);
        ctx.stdout.write(`${t('vault.cli.info', { path: info.path, createdAt: info.createdAt, kdf }, ctx.lang)}\n`);
      }
      return 0;
    }
    if (sub === 'passphrase') {
      const { rest: withoutCurrent, file } = splitPassphraseFile(restArgs);
      const { opts, rest } = parseArgs(withoutCurrent, { valued: ['new-passphrase-file'] }, usage);
      if (rest.length || !opts['new-passphrase-file']) usage();
      const next = readPassphraseFile(opts['new-passphrase-file']!);
      // Unlocked with the current passphrase: the vault must exist already (nothing is created here).
      readVaultInfo(home);
      const master = await unlockFromEnvironment(home, ctx.env, file);
      await setPassphrase(home, master, next);
      audit(home, { action: 'key.change', outcome: 'success', role: 'system', detail: { operation: 'vault.passphrase' } });
      ctx.stdout.write(`${t('vault.cli.passphraseChanged', {}, ctx.lang)}\n`);
      return 0;
    }
    return usage();
  },
};
