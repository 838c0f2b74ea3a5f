// End-to-end harness: the renderer built once, `amur serve` started on a free port with a temporary
// AMUR_HOME, Debian's Chromium driven by playwright-core. Tests wait for signals the app emits
// (data-state attributes, rows appearing), never for a fixed time. Reused by every e2e test file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ensureRendererBuilt } from '../../cli/host/build-renderer.js';
import { REPO_ROOT } from '../shared-data.js';

export const CHROMIUM = process.env.AMUR_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

let built: Promise<boolean> | undefined;
/** Builds renderer/dist if it is older than its sources; once per test process. */
export function buildOnce(): Promise<boolean> {
  built ??= ensureRendererBuilt();
  return built;
}

export interface RunningApp {
  /** The URL with the secret, as printed by `amur serve`. */
  url: string;
  /** http://127.0.0.1:PORT, without the secret. */
  origin: string;
  port: number;
  home: string;
  child: ChildProcess;
  /** What `amur serve` wrote so far, for failure messages and for checking what it logs. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `amur serve --port 0` (or `amur start`, which falls back to it without Electron) with a
 * fresh AMUR_HOME, and resolves once it printed its URL.
 */
export async function startApp(
  options: { home?: string; env?: NodeJS.ProcessEnv; args?: string[]; command?: 'serve' | 'start' } = {},
): Promise<RunningApp> {
  await buildOnce();
  const ownHome = !options.home;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'amur-e2e-'));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), options.command ?? 'serve', '--port', '0', ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, AMUR_LANG: 'en', ...options.env, AMUR_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: string) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?key=[A-Za-z0-9_-]+/.exec(out);
      if (m) resolve(m[0]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`amur serve exited with ${code} before printing its URL:\n${out}`)));
  });
  const origin = new URL(url).origin;
  return {
    url,
    origin,
    port: Number(new URL(url).port),
    home,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // A host that ignores SIGTERM is a bug to report, not a reason to hang the whole test run.
      let timer: NodeJS.Timeout | undefined;
      const hung = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), 30_000); }),
      ]);
      clearTimeout(timer);
      if (hung) {
        child.kill('SIGKILL');
        await exited;
      }
      if (ownHome) rmSync(home, { recursive: true, force: true });
      if (hung) throw new Error('amur serve did not exit within 30 s of SIGTERM');
    },
  };
}

export interface OpenBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile; the page has a desktop-sized viewport. */
export async function openBrowser(options: { locale?: string; viewport?: { width: number; height: number } } = {}): Promise<OpenBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  const context = await browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: options.viewport ?? { width: 1400, height: 900 },
  });
  const page = await context.newPage();
  return { browser, context, page, close: () => browser.close() };
}

/** What a reading room is made of: the host, the browser, and what the reader does first. */
export interface ReadingRoomOptions {
  /** For `amur serve` (see startApp): an AMUR_HOME prepared by the test, extra environment, arguments. */
  home?: string;
  env?: NodeJS.ProcessEnv;
  args?: string[];
  command?: 'serve' | 'start';
  /** The browser's language and window (default en-US, 1400×900) and time zone (the machine's). */
  locale?: string;
  viewport?: { width: number; height: number };
  timezoneId?: string;
  /**
   * A Chromium profile folder kept on disk (what the page stored can be read after `close()`);
   * without it every room has a fresh, temporary profile.
   */
  profile?: string;
  /** Runs once the host is up, before the page opens (import by the CLI, an identity, a store edit). */
  prepare?(app: RunningApp): Promise<void> | void;
  /** Runs on the new page before the app is opened: listeners for requests, console, page errors. */
  onPage?(page: Page): void;
  /** false: the page is not opened (the test opens it itself). Default: open and wait for the worklist. */
  open?: boolean;
  /** Files imported through the UI once the worklist is shown; the summary is in `imported`. */
  files?: string[];
}

export interface ReadingRoom {
  app: RunningApp;
  browser: Browser | undefined;
  context: BrowserContext;
  page: Page;
  /** The import summary's text when `files` were given. */
  imported?: string;
  /** Closes the browser, then stops the host (and removes its home unless the test gave one). */
  close(): Promise<void>;
}

/**
 * The start-up every end-to-end test shares: `amur serve` with a fresh home, Chromium with a locale
 * and a window, the app opened until its worklist is shown, files imported through the UI. If a
 * step fails, what was started is stopped before the error is thrown.
 */
export async function openReadingRoom(options: ReadingRoomOptions = {}): Promise<ReadingRoom> {
  const app = await startApp({ home: options.home, env: options.env, args: options.args, command: options.command });
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const close = async () => {
    try {
      await (browser ? browser.close() : context?.close());
    } finally {
      await app.stop();
    }
  };
  try {
    await options.prepare?.(app);
    const contextOptions = {
      locale: options.locale ?? 'en-US',
      viewport: options.viewport ?? { width: 1400, height: 900 },
      ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
    };
    if (options.profile) {
      context = await chromium.launchPersistentContext(options.profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, ...contextOptions });
    } else {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
      context = await browser.newContext(contextOptions);
    }
    const page = context.pages()[0] ?? (await context.newPage());
    options.onPage?.(page);
    if (options.open !== false) await openApp(page, app);
    const imported = options.files?.length ? await importThroughUi(page, options.files) : undefined;
    return { app, browser, context, page, imported, close };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}

/** A reading room for the length of `fn`, closed afterwards whatever `fn` did. */
export async function withReadingRoom<T>(options: ReadingRoomOptions, fn: (room: ReadingRoom) => Promise<T>): Promise<T> {
  const room = await openReadingRoom(options);
  try {
    return await fn(room);
  } finally {
    await room.close();
  }
}

/**
 * One reading room for the tests of the current file or describe block: opened in its before()
 * (options may be computed there, e.g. from files made by dcmtk), closed in its after(). Returns
 * the room, for the tests to call once they run.
 */
export function readingRoomForTests(options: ReadingRoomOptions | (() => ReadingRoomOptions | Promise<ReadingRoomOptions>) = {}): () => ReadingRoom {
  let room: ReadingRoom | undefined;
  before(async () => {
    room = await openReadingRoom(typeof options === 'function' ? await options() : options);
  });
  after(async () => {
    await room?.close();
  });
  return () => {
    if (!room) throw new Error('the reading room is not open (its before() failed or has not run)');
    return room;
  };
}

/** Opens the app's URL (the key is swapped for a cookie) and waits until the worklist has loaded. */
export async function openApp(page: Page, app: RunningApp): Promise<void> {
  await page.goto(app.url);
  await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
}

/**
 * Imports files through the UI the way a user does in the browser shell (the file chooser, which
 * uploads them to the host), and waits for the import's summary. Returns the summary's text.
 */
export async function importThroughUi(page: Page, files: string[]): Promise<string> {
  const status = page.locator('[data-testid="import-status"]');
  // Wait for this import to end, not an earlier one whose result may still be on screen.
  const before = Number(await status.getAttribute('data-finished'));
  await page.locator('[data-testid="import-files-input"]').setInputFiles(files);
  await page.locator(`[data-testid="import-status"][data-finished="${before + 1}"]`).waitFor();
  const state = await status.getAttribute('data-state');
  const text = await status.innerText();
  if (state !== 'done') throw new Error(`import failed: ${text}`);
  return text;
}

/**
 * Opens the first study whose worklist row shows `text`, as a reader does (a double click), going
 * back to the worklist first when a study is open; resolves once the viewer is ready.
 */
export async function openStudyRow(page: Page, text: string): Promise<void> {
  if ((await page.getAttribute('[data-testid="app"]', 'data-screen')) === 'viewer') {
    await page.click('[data-testid="back-to-worklist"]');
    await page.waitForSelector('[data-testid="app"][data-screen="worklist"]');
  }
  await page.locator('[data-testid="worklist-row"]', { hasText: text }).first().dblclick();
  await page.waitForSelector('[data-testid="viewer"][data-state="ready"]');
}

/** Where screenshots go: AMUR_E2E_SCREENSHOTS, or a temporary folder kept for the reader. */
export function screenshotDir(): string {
  const dir = process.env.AMUR_E2E_SCREENSHOTS || join(tmpdir(), 'amur-e2e-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A control of the viewer's toolbar, ready to be used as a reader would: when the window is too
 * narrow for it to be on the bar, "More…" is opened first (the toolbar folds again after a choice).
 */
export async function toolbarControl(page: Page, testid: string): Promise<Locator> {
  const control = page.locator(`.viewer-toolbar [data-testid="${testid}"]`);
  await control.waitFor({ state: 'attached' });
  const hidden = await control.evaluate((el) => !!el.closest('[data-overflow]'));
  if (hidden && !(await page.locator('.viewer-toolbar-slot.open').count())) {
    await page.click('[data-testid="toolbar-more"]');
    await page.locator('.viewer-toolbar-slot.open').waitFor();
  }
  return control;
}
