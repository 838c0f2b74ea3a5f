// The desktop shell's security policy as plain data and pure functions, so that unit tests in plain
// Node can assert it without Electron running: the window's web preferences, the app's privileged
// scheme, which IPC senders are trusted, which navigations are allowed, which permissions granted.
import type { BrowserWindowConstructorOptions, CustomScheme } from 'electron';
import { resolveStaticPath } from '../cli/host/static.js';
import { LANGUAGES, t } from '../core/i18n/index.js';

export { CONTENT_SECURITY_POLICY } from '../renderer/csp.js';

/** The app is served from amur://app/ instead of file://, so it has an origin of its own. */
export const APP_SCHEME = 'amur';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/`;

/**
 * standard: URLs parse like http (origin, relative URLs); secure: treated like https (so the page
 * is a secure context); supportFetchAPI: the page may fetch its own assets. Nothing more: no CSP
 * bypass, no service workers, no CORS.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true },
};

/**
 * The window's session: a partition without the "persist:" prefix lives in memory only, so nothing
 * the page caches or stores (HTTP cache of amur:// responses, localStorage, IndexedDB, Cache
 * Storage) is ever written to disk, where it could outlive a study's purge (rule 8). The language
 * choice, the one thing the UI keeps, is therefore chosen again per launch (AMUR_LANG or the OS).
 */
export const APP_PARTITION = 'amur-memory';

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Amur',
    backgroundColor: '#111418',
    show: false,
    webPreferences: {
      preload: preloadPath,
      partition: APP_PARTITION,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      experimentalFeatures: false,
    },
  };
}

let appTitles: Set<string> | undefined;

/**
 * The window's title follows the page's only while it is the app's name (in any of the three
 * languages): a title is shown in the task bar, the window switcher and screen-sharing pickers and
 * kept by the desktop's history, so whatever else a page might put there (a patient's name, a
 * study) never reaches it (rule 8).
 */
export function isAllowedWindowTitle(title: string): boolean {
  appTitles ??= new Set(LANGUAGES.map((l) => t('ui.app.title', {}, l)));
  return appTitles.has(title);
}

/** The origin of a URL, or undefined for anything unparseable. */
function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}

export interface SenderInfo {
  /** webContents id of the sender. */
  senderId: number;
  /** URL of the frame that sent the message (event.senderFrame.url); absent once the frame is gone. */
  frameUrl: string | undefined;
  /** Whether that frame is the top frame of its page. */
  isMainFrame: boolean;
}

/** Only our own windows' top frames, showing our own origin, may use the contract. */
export function isTrustedSender(sender: SenderInfo, ownWindowIds: ReadonlySet<number>): boolean {
  return (
    ownWindowIds.has(sender.senderId) &&
    sender.isMainFrame &&
    sender.frameUrl !== undefined &&
    originOf(sender.frameUrl) === APP_ORIGIN
  );
}

/** The app never leaves its origin; links to anywhere else are not followed. */
export function isAllowedNavigation(url: string): boolean {
  return originOf(url) === APP_ORIGIN;
}

/**
 * Requests the app's pages may make at all: its own origin, and data:/blob: URLs it made itself.
 * The CSP says the same; this is the second lock, applied by the session to every request.
 */
export function isAllowedRequest(url: string): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:amur://app/') || url.startsWith('devtools:')) return true;
  return originOf(url) === APP_ORIGIN;
}

/** No permission (camera, microphone, notifications, geolocation, clipboard, USB...) is ever granted. */
export function permissionDecision(_permission: string): boolean {
  return false;
}

/** The file of renderer/dist that an amur://app/ URL names, or undefined (other hosts, traversal). */
export function resolveAppRequest(requestUrl: string, distDir: string): string | undefined {
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return undefined;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return undefined;
  // Chromium has already normalised the path of a standard scheme; check the raw text as well.
  const raw = requestUrl.slice(APP_ORIGIN.length).split(/[?#]/)[0] || '/';
  if (resolveStaticPath(distDir, raw) === undefined) return undefined;
  return resolveStaticPath(distDir, u.pathname);
}
