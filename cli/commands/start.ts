// `amur start [--port N]` (what `npm start` runs): the desktop app when Electron's runtime is
// installed, otherwise the browser shell (`amur serve`), saying so in the reader's language.
// Electron's package resolves to the runtime's path only when its binary was downloaded.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { t } from '../../core/i18n/index.js';
import { ensurePreloadBuilt } from '../../electron/build-preload.js';
import type { Command } from '../command.js';
import { ensureRendererBuilt } from '../host/build-renderer.js';
import { splitPassphraseFile, unlockHome } from '../vault.js';
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

/**
 * Electron 42+ fetches its runtime on first launch rather than at install. Fetch it here, quietly,
 * so that an offline machine gets one translated line and the browser shell instead of a stack
 * trace. True when the runtime is on disk afterwards.
 */
export function fetchElectronRuntime(): boolean {
  const req = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(req.resolve('electron/package.json'));
  } catch {
    return false;
  }
  const present = () => {
    const pathFile = join(dir, 'path.txt');
    return existsSync(pathFile) && existsSync(join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()));
  };
  if (present()) return true;
  spawnSync(process.execPath, [join(dir, 'install.js')], { stdio: 'ignore', timeout: 600_000 });
  return present();
}

export const startCommand: Command = {
  name: 'start',
  summaryKey: 'host.cli.startSummary',
  usage: 'start [--port N]',
  // Not unlocked up front: the desktop app unlocks with the OS key store; only the browser shell
  // it falls back to needs the passphrase (asked on this terminal when no file gives it).
  async run(args, ctx) {
    const port = parsePort(splitPassphraseFile(args).rest);
    const electron = fetchElectronRuntime() ? electronRuntime() : undefined;
    if (!electron) {
      ctx.stderr.write(`${t('host.noElectron', {}, ctx.lang)}\n`);
      await unlockHome({ vault: 'prompt' }, args, ctx);
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
