// Entry of the `amur` command: picks the command by name and reports errors in the reader's language.
import { readFileSync } from 'node:fs';
import { errorMessage, languageFromEnv, t } from '../core/i18n/index.js';
import type { CliContext, Command } from './command.js';
import { commands, help } from './commands/index.js';

/** The version of the package this command belongs to (package.json, which every install has). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...args] = argv;
  const load = name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (name === '--version' || name === 'version') {
    ctx.stdout.write(`amur ${version()}\n`);
    return 0;
  }
  if (!load) {
    ctx.stdout.write(`${t('cli.usage', {}, ctx.lang)}\n\n`);
    for (const c of Object.values(help)) {
      ctx.stdout.write(`  amur ${c.usage.padEnd(44)} ${t(c.summaryKey, {}, ctx.lang)}\n`);
    }
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  try {
    const command: Command = await load();
    // Loaded only for a command that needs the store: it pulls SQLite and the signing code.
    const vault = command.vault ? await import('./vault.js') : undefined;
    if (vault && command.unlocksWhileRunning && command.vault === 'required') {
      const { rest, unlocked } = vault.startUnlockingHome(command, args, ctx);
      // Awaited by the command; a command that ends before (its usage) must not leave it unhandled.
      unlocked.catch(() => undefined);
      return await command.run(rest, { ...ctx, unlocked });
    }
    const rest = vault ? await vault.unlockHome(command, args, ctx) : args;
    return await command.run(rest, ctx);
  } catch (e) {
    ctx.stderr.write(`amur ${name}: ${errorMessage(e, ctx.lang)}\n`);
    return 1;
  }
}

const ctx: CliContext = { lang: languageFromEnv(), stdout: process.stdout, stderr: process.stderr, env: process.env };
process.exitCode = await main(process.argv.slice(2), ctx);
