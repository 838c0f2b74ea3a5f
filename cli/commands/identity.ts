// `amur identity import FILE.p12 --name NAME --passphrase-file FILE [--store-passphrase-file FILE]`
// stores a signing identity under AMUR_HOME (private key encrypted at rest); `amur identity list
// [--json]` lists them. A stored identity's name can then stand where a .p12 path is accepted.
import { readFileSync } from 'node:fs';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
import { importIdentity, listIdentities } from '../../core/signing/index.js';
import { readPassphraseFile as readVaultPassphraseFile } from '../../core/vault/session.js';
import type { CliContext, Command } from '../command.js';

const USAGE = 'identity import FILE.p12 --name NAME --passphrase-file FILE | identity list [--json]';

/** A signing identity's passphrase file, read as the vault's is (its first line), which may be empty. */
export function readPassphraseFile(path: string): string {
  return readVaultPassphraseFile(path, { allowEmpty: true });
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) throw new AmurError('signing.usage', { usage: USAGE });
  return v;
}

export const identityCommand: Command = {
  name: 'identity',
  summaryKey: 'signing.cli.identitySummary',
  usage: 'identity import FILE.p12 --name N … | list',
  async run(args: string[], ctx: CliContext) {
    const home = amurHome(ctx.env);
    const [sub, ...rest] = args;
    if (sub === 'list') {
      const ids = listIdentities(home);
      if (rest.includes('--json')) ctx.stdout.write(`${JSON.stringify(ids, null, 2)}\n`);
      else if (ids.length === 0) ctx.stdout.write(`${t('signing.cli.noIdentities', {}, ctx.lang)}\n`);
      else for (const i of ids) ctx.stdout.write(`${i.name}\t${i.keyAlgorithm}\t${i.certificate.subject}\t${i.certificate.validTo}\n`);
      return 0;
    }
    if (sub === 'import') {
      const file = rest.find((a, i) => !a.startsWith('--') && (i === 0 || !rest[i - 1]!.startsWith('--')));
      const name = option(rest, 'name');
      const passFile = option(rest, 'passphrase-file');
      if (!file || !name || !passFile) throw new AmurError('signing.usage', { usage: USAGE });
      const storeFile = option(rest, 'store-passphrase-file');
      let p12: Buffer;
      try {
        p12 = readFileSync(file);
      } catch (e) {
        throw new AmurError('signing.fileUnreadable', { path: file }, { cause: e });
      }
      const summary = importIdentity(p12, readPassphraseFile(passFile), {
        name,
        home,
        path: file,
        storePassphrase: storeFile ? readPassphraseFile(storeFile) : undefined,
      });
      ctx.stdout.write(`${t('signing.cli.imported', { name, subject: summary.certificate.subject, validTo: summary.certificate.validTo }, ctx.lang)}\n`);
      return 0;
    }
    throw new AmurError('signing.usage', { usage: USAGE });
  },
};
