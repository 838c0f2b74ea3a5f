// `amur serve [--port N]`: the browser shell. Serves the renderer and the contract on 127.0.0.1
// only and prints the URL to open, which carries this launch's secret. Runs until interrupted.
import { AmurError } from '../../core/common/errors.js';
import { amurHome } from '../../core/common/paths.js';
import { t } from '../../core/i18n/index.js';
import type { CliContext, Command } from '../command.js';
import { ensureRendererBuilt } from '../host/build-renderer.js';
import { startHost } from '../host/server.js';
import { createServices } from '../host/services.js';
import { migrationProgress } from '../vault.js';

export function parsePort(args: string[]): number {
  let port = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = a === '--port' ? args[++i] : a.startsWith('--port=') ? a.slice('--port='.length) : undefined;
    if (v === undefined) throw new AmurError('host.badArgument', { argument: a });
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new AmurError('host.badPort', { port: v });
    port = Number(v);
  }
  return port;
}

/** Starts the host and resolves when the process is asked to stop (Ctrl+C, SIGTERM). */
export async function serve(port: number, ctx: CliContext): Promise<number> {
  if (await ensureRendererBuilt()) ctx.stderr.write(`${t('host.built', {}, ctx.lang)}\n`);
  const hosted = createServices({ home: amurHome(ctx.env), lang: ctx.lang, env: ctx.env, onMigrate: migrationProgress(ctx) });
  let host;
  try {
    host = await startHost({ services: hosted.services, home: hosted.home, importSealedFolder: hosted.importSealedFolder, port, lang: ctx.lang });
  } catch (e) {
    await hosted.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new AmurError('host.portInUse', { port });
    throw e;
  }
  ctx.stdout.write(`${t('host.listening', {}, ctx.lang)}\n  ${host.url}\n${t('host.stopHint', {}, ctx.lang)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  await hosted.close();
  return 0;
}

export const serveCommand: Command = {
  name: 'serve',
  summaryKey: 'host.cli.serveSummary',
  usage: 'serve [--port N]',
  vault: 'prompt',
  async run(args, ctx) {
    return serve(parsePort(args), ctx);
  },
};
