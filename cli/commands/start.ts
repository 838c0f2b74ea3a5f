// `amur start [--port N]` (what `npm start` runs): the desktop app when Electron's runtime is
// installed, otherwise the browser shell (`amur serve`), saying so in the reader's language.
// Electron's package resolves to the runtime's path only when its binary was downloaded.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { t } from '../../core/i18n/index.js';
import { ensurePreloadBuilt } from '../../electron/build-preload.js';
import type { Command } from '../command.js';
import { ensureRendererBuilt } from '../host/build-renderer.js';
import { parsePort, serve } from './serve.js';

const ENTRY = fileURLToPath(new URL('../../electron/entry.mjs', import.meta.url));

/** The Electron executable, or undefined when its runtime is absent (require throws, or names no file). */
export function electronRuntime(load: (id: string) => unknown = createRequire(import.meta.url)): string | undefined {
  try {
    const p = load('electron');
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

export const startCommand: Command = {
  name: 'start',
  summaryKey: 'host.cli.startSummary',
  usage: 'start [--port N]',
  async run(args, ctx) {
    const port = parsePort(args);
    const electron = electronRuntime();
    if (!electron) {
      ctx.stderr.write(`${t('host.noElectron', {}, ctx.lang)}\n`);
      return serve(port, ctx);
    }
    if (await ensureRendererBuilt()) ctx.stderr.write(`${t('host.built', {}, ctx.lang)}\n`);
    await ensurePreloadBuilt();
    const child = spawn(electron, [ENTRY], { stdio: 'inherit', env: ctx.env });
    const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
    if (code !== 0) ctx.stderr.write(`${t('host.electronFailed', { code }, ctx.lang)}\n`);
    return code;
  },
};
