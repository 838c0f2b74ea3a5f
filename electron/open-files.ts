// Files handed to the desktop app by the operating system: a double click on a .dcm file or a
// DICOMDIR associated with Amur (build/electron-builder.yml), "Open with", or a drop on the dock
// icon. Windows and Linux start the program with the paths as arguments (to a running Amur they
// arrive as its second-instance event's argv); macOS sends `open-file` events, possibly before the
// app is ready. Either way they are imported into the store through the same StudyService the
// import panel uses, so the worklist shows them as it shows any import (progress, outcome, the
// audit trail). Paths are never logged: a folder's name can be a patient's name.
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/**
 * The files and folders among a launch's arguments: what follows the program (and, when Electron
 * runs an app from a folder, its entry script), that is not a switch and that exists, made absolute
 * against the working folder of that launch.
 */
export function pathsFromArgv(argv: readonly string[], workingDirectory: string, options: { defaultApp: boolean }): string[] {
  // argv[0] is the executable; in development (`electron entry.mjs …`) argv[1] is the app's entry.
  const args = argv.slice(options.defaultApp ? 2 : 1);
  const out: string[] = [];
  for (const a of args) {
    // Chromium's and Electron's switches (--inspect, --no-sandbox …) and the macOS -psn_ argument.
    if (!a || a.startsWith('-')) continue;
    const p = isAbsolute(a) ? a : resolve(workingDirectory, a);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st && (st.isFile() || st.isDirectory()) && !out.includes(p)) out.push(p);
  }
  return out;
}

/**
 * Collects the paths the system hands over and imports them one batch at a time: what arrives
 * before the services exist (a macOS open-file before `ready`, the first launch's own arguments)
 * waits for `start`; what arrives while an import runs joins the next batch.
 */
export class OpenFiles {
  private pending: string[] = [];
  private importer: ((paths: string[]) => Promise<unknown>) | undefined;
  private running: Promise<void> | undefined;

  add(paths: readonly string[]): void {
    for (const p of paths) if (!this.pending.includes(p)) this.pending.push(p);
    this.drain();
  }

  /** The services are up: import what waited, and whatever comes later. */
  start(importer: (paths: string[]) => Promise<unknown>): void {
    this.importer = importer;
    this.drain();
  }

  /** Resolves when nothing is waiting or being imported (tests, and quitting). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private drain(): void {
    if (!this.importer || this.running || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    // An import's refusals are in its own summary and the audit trail; a failure of the whole
    // import (the store closed under it) must not take the main process down.
    this.running = this.importer(batch).then(
      () => undefined,
      (e: unknown) => void process.stderr.write(`amur: the files handed over by the system were not imported (${(e as { code?: string }).code ?? 'error'})\n`),
    ).finally(() => {
      this.running = undefined;
      this.drain();
    });
  }
}
