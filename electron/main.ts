// The desktop shell's main process. Nothing of substance lives here: it unlocks the home's
// encrypted store with the key the OS key store keeps (vault-unlock.ts), creates the services
// (cli/host/services.ts, the same ones `amur serve` hosts), serves the renderer from amur://app/,
// and applies the security policy of security.ts to every window and web contents.
import { app, BrowserWindow, dialog, ipcMain, protocol, safeStorage, session, type WebContents } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentType, RENDERER_DIST } from '../cli/host/static.js';
import { createServices, type HostedServices } from '../cli/host/services.js';
import { migrationProgress } from '../cli/vault.js';
import { SECURITY_HEADERS } from '../cli/host/security.js';
import { amurHome } from '../core/common/paths.js';
import { lockVault, PASSPHRASE_FILE_ENV } from '../core/vault/session.js';
import { forwardEvents, registerContractHandlers } from './ipc.js';
import { OpenFiles, pathsFromArgv } from './open-files.js';
import { desktopLanguage } from './language.js';
import {
  APP_PARTITION, APP_SCHEME, APP_SCHEME_PRIVILEGES, APP_URL, isAllowedNavigation, isAllowedRequest, isAllowedWindowTitle, isTrustedSender, permissionDecision,
  resolveAppRequest, windowOptions,
} from './security.js';
import { startupFailureText, terminalPassphrasePrompt, unlockDesktopVault } from './vault-unlock.js';

/** The bundled preload, written by build-preload.ts before Electron starts. */
const PRELOAD = fileURLToPath(new URL('../out/electron/preload.cjs', import.meta.url));

// Must happen before `ready`: the entry awaits this module, so it does.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
app.enableSandbox();
app.setName('Amur');
// Chromium's own profile (the default session's files, the single-instance lock, on Windows the
// DPAPI-sealed secret behind safeStorage, the never-started crash reporter's Crashpad folder) lives
// in the home it serves, not in a second per-user folder: one home, one profile, one instance.
const home = amurHome();
app.setPath('userData', join(home, 'electron'));

const ownWindows = new Set<number>();

// Files handed over by the system (a file association, "Open with", the dock): this launch's own
// arguments, a second launch's, and macOS's open-file events, which can come before `ready`.
const openFiles = new OpenFiles();
openFiles.add(pathsFromArgv(process.argv, process.cwd(), { defaultApp: Boolean(process.defaultApp) }));
app.on('open-file', (event, path) => {
  event.preventDefault();
  openFiles.add([path]);
});

function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

async function serveApp(request: Request): Promise<Response> {
  const file = resolveAppRequest(request.url, RENDERER_DIST);
  if (!file) return new Response('Not Found', { status: 404, headers: SECURITY_HEADERS });
  try {
    const body = await readFile(file);
    return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': contentType(file) } });
  } catch {
    return new Response('Not Found', { status: 404, headers: SECURITY_HEADERS });
  }
}

async function main(): Promise<void> {
  // One window per user: a second launch brings the first forward instead of opening the store twice.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', (_event, argv, workingDirectory) => {
    openFiles.add(pathsFromArgv(argv, workingDirectory, { defaultApp: Boolean(process.defaultApp) }));
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  await app.whenReady();
  const lang = desktopLanguage(process.env, app.getPreferredSystemLanguages());
  // The store opens only once the home is unlocked; a refusal is a translated dialog, and no window opens.
  let hosted: HostedServices;
  try {
    await unlockDesktopVault({ home, safeStorage, passphraseFile: process.env[PASSPHRASE_FILE_ENV] || undefined, askPassphrase: terminalPassphrasePrompt(lang) });
    // Encrypting a store an earlier version left in clear happens before the window: its progress goes to the log.
    hosted = createServices({ home, lang, onMigrate: migrationProgress({ stderr: process.stderr, lang }) });
  } catch (e) {
    const { title, message } = startupFailureText(e, lang);
    dialog.showErrorBox(title, message);
    app.exit(1);
    return;
  }

  // The window's in-memory session (security.ts, APP_PARTITION): its policy and the app protocol are set on it.
  const ses = session.fromPartition(APP_PARTITION);
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(permissionDecision(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => permissionDecision(permission));
  ses.setDevicePermissionHandler(() => false);
  // Nothing leaves the machine from a page: no http(s), ws(s), ftp or file request is let through.
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url) }));
  ses.protocol.handle(APP_SCHEME, serveApp);
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));

  const ipc = registerContractHandlers(ipcMain, hosted.services, (sender) => isTrustedSender(sender, ownWindows));

  const createWindow = () => {
    const win = new BrowserWindow(windowOptions(PRELOAD));
    const id = win.webContents.id;
    ownWindows.add(id);
    const stopEvents = forwardEvents(ipc.handlers, (channel, value) => {
      if (!win.isDestroyed()) win.webContents.send(channel, value);
    });
    // The title stays the app's name: nothing a page puts there reaches the task bar (security.ts).
    win.on('page-title-updated', (event, title) => {
      if (!isAllowedWindowTitle(title)) event.preventDefault();
    });
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      stopEvents();
      ownWindows.delete(id);
    });
    void win.loadURL(APP_URL);
  };

  createWindow();
  // The window shows an import of handed-over files as any other (its progress and outcome events).
  openFiles.start((paths) => hosted.services.studies.importPaths(paths));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    ipc.dispose();
    void hosted.close().then(() => lockVault(home));
  });
}

await main();
