// Entry of the `amur` command: picks the command by name and reports errors in the reader's language.
import { errorMessage, languageFromEnv, t } from '../core/i18n/index.js';
import type { CliContext, Command } from './command.js';
import { commands } from './commands/index.js';
import { unlockHome } from './vault.js';

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...args] = argv;
  const load = name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    ctx.stdout.write(`${t('cli.usage', {}, ctx.lang)}\n\n`);
    for (const c of await Promise.all(Object.values(commands).map((l) => l()))) {
      ctx.stdout.write(`  amur ${c.usage.padEnd(44)} ${t(c.summaryKey, {}, ctx.lang)}\n`);
    }
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  try {
    const command: Command = await load();
    const rest = command.vault ? await unlockHome(command, args, ctx) : args;
    return await command.run(rest, ctx);
  } catch (e) {
    ctx.stderr.write(`amur ${name}: ${errorMessage(e, ctx.lang)}\n`);
    return 1;
  }
}

const ctx: CliContext = { lang: languageFromEnv(), stdout: process.stdout, stderr: process.stderr, env: process.env };
process.exitCode = await main(process.argv.slice(2), ctx);
