// `amur sign FILE… --identity FILE.p12|NAME --passphrase-file FILE --out DIR [--add] [--purpose P]`
// signs DICOM files (PS3.15 digital signature) and PDF files (PAdES-B) as they are, writing the
// signed copies into DIR under the same names; the originals are never touched. A file that is
// already signed is refused unless --add asks for a further signature (a second reader's
// co-signature, say). Reports are signed by `amur report sign`; this is for everything else.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
import { loadIdentity, SIGNATURE_PURPOSES, signDicom, signPdf, type SignaturePurpose } from '../../core/signing/index.js';
import type { CliContext, Command } from '../command.js';
import { readPassphraseFile } from './identity.js';

const USAGE = 'sign FILE… --identity FILE.p12|NAME --passphrase-file FILE --out DIR [--add] [--purpose verification|author|review|addendum]';

function parse(args: string[]): { files: string[]; opts: Record<string, string>; add: boolean } {
  const files: string[] = [];
  const opts: Record<string, string> = {};
  let add = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--add') add = true;
    else if (['--identity', '--passphrase-file', '--out', '--purpose'].includes(a)) {
      const v = args[++i];
      if (!v || v.startsWith('--')) throw new AmurError('signing.usage', { usage: USAGE });
      opts[a.slice(2)] = v;
    } else if (a.startsWith('--')) throw new AmurError('signing.usage', { usage: USAGE });
    else files.push(a);
  }
  return { files, opts, add };
}

export const signCommand: Command = {
  name: 'sign',
  summaryKey: 'signing.cli.signSummary',
  usage: 'sign FILE… --identity ID --out DIR [--add]',
  async run(args: string[], ctx: CliContext) {
    const { files, opts, add } = parse(args);
    const { identity: who, 'passphrase-file': passFile, out, purpose = 'verification' } = opts;
    if (!files.length || !who || !passFile || !out) throw new AmurError('signing.usage', { usage: USAGE });
    if (!(purpose in SIGNATURE_PURPOSES)) throw new AmurError('signing.usage', { usage: USAGE });
    const identity = loadIdentity(who, readPassphraseFile(passFile), amurHome(ctx.env));
    // Everything is signed in memory first; only then are the files written, so a refusal of the
    // third file leaves nothing half-done in DIR.
    const signed: { name: string; bytes: Buffer }[] = [];
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new AmurError('signing.fileUnreadable', { path: file }, { cause: e });
      }
      const isPdf = bytes.subarray(0, 1024).toString('latin1').includes('%PDF-');
      const result = isPdf
        ? await signPdf(bytes, identity, { addSignature: add, path: file })
        : signDicom(bytes, identity, { addSignature: add, purpose: purpose as SignaturePurpose, path: file });
      signed.push({ name: basename(file), bytes: result });
    }
    mkdirSync(out, { recursive: true });
    for (const { name } of signed) {
      if (existsSync(join(out, name))) throw new AmurError('signing.outputExists', { path: join(out, name) });
    }
    for (const { name, bytes } of signed) {
      const target = join(out, name);
      const tmp = `${target}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, bytes);
        renameSync(tmp, target);
      } finally {
        rmSync(tmp, { force: true });
      }
      ctx.stdout.write(`${t('signing.cli.signed', { path: target }, ctx.lang)}\n`);
    }
    return 0;
  },
};
