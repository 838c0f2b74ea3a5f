// End-to-end harness: the renderer built once, `amur serve` started on a free port with a temporary
// AMUR_HOME, Debian's Chromium driven by playwright-core. Tests wait for signals the app emits
// (data-state attributes, rows appearing), never for a fixed time. Reused by every e2e test file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
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

/** Where screenshots go: AMUR_E2E_SCREENSHOTS, or a temporary folder kept for the reader. */
export function screenshotDir(): string {
  const dir = process.env.AMUR_E2E_SCREENSHOTS || join(tmpdir(), 'amur-e2e-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
