// `amur import PATH… [--json] [--source NAME] [--progress]`: imports files, folders, DICOMDIR media
// and zip archives into the store under AMUR_HOME. With --json it prints one JSON object (the
// contract automated checks rely on); --progress writes each progress report as one JSON line on
// stderr, for a parent process that follows the import.
import { amurHome } from '../../core/common/paths.js';
import type { ImportProgress } from '../../core/contract/studies.js';
import type { StudyStore } from '../../core/store/store.js';
import { t } from '../../core/i18n/index.js';
import { importPaths } from '../../core/importer/importer.js';
import type { Command } from '../command.js';
import { renderStudies } from './studies.js';
import { openStore } from '../vault.js';

export const importCommand: Command = {
  name: 'import',
  summaryKey: 'import.cli.summary',
  usage: 'import PATH… [--json] [--source NAME]',
  vault: 'required',
  // The files are walked, read and their headers parsed while the vault's key is derived.
  unlocksWhileRunning: true,
  async run(args, ctx) {
    const paths: string[] = [];
    let json = false;
    let progressLines = false;
    let sourceName: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--json') json = true;
      else if (a === '--progress') progressLines = true;
      else if (a === '--source') sourceName = args[++i];
      else if (a.startsWith('--source=')) sourceName = a.slice('--source='.length);
      else if (a === '--') {
        paths.push(...args.slice(i + 1));
        break;
      } else paths.push(a);
    }
    if (paths.length === 0 || (sourceName !== undefined && !sourceName)) {
      ctx.stderr.write(`${t('import.cli.noPaths', {}, ctx.lang)}\n  amur ${this.usage}\n`);
      return 2;
    }

    const tty = !json && !progressLines && (ctx.stderr as NodeJS.WriteStream).isTTY === true;
    const onProgress = (p: ImportProgress) => {
      if (progressLines) ctx.stderr.write(`${JSON.stringify(p)}\n`);
      else if (tty) ctx.stderr.write(`\r${t('import.cli.progress', { ...p }, ctx.lang)}\x1b[K`);
    };

    let store: StudyStore | undefined;
    const opened = (async () => {
      await ctx.unlocked;
      store = openStore(ctx);
      return store;
    })();
    try {
      const source = (s: StudyStore) => (sourceName ? s.ensureSource(sourceName, 'partner') : s.defaultSource());
      // Headers are read on this thread: the command has no UI to keep responsive, and a worker's
      // start-up (loading the TypeScript reader, ~1 s) would cost more than it saves.
      const summary = await importPaths({ home: amurHome(ctx.env), opened }, paths, { source, lang: ctx.lang, onProgress, workers: 0 });
      if (!store) throw new Error('the store was not opened');
      if (tty) ctx.stderr.write('\n');
      if (json) {
        const out = {
          imported: summary.imported,
          duplicates: summary.duplicates,
          rejected: summary.rejected.map((r) => ({ path: r.path, reason: r.reason })),
          studies: summary.studies,
          notices: (summary.notices ?? []).map((n) => ({ path: n.path, code: n.code, message: n.message })),
        };
        ctx.stdout.write(`${JSON.stringify(out)}\n`);
      } else {
        ctx.stdout.write(`${t('import.cli.result', {
          imported: summary.imported, duplicates: summary.duplicates, rejected: summary.rejected.length, studies: summary.studies.length,
        }, ctx.lang)}\n`);
        const touched = new Set(summary.studies);
        const studies = store.listStudies().filter((s) => touched.has(s.StudyInstanceUID));
        if (studies.length) ctx.stdout.write(`\n${renderStudies(studies, ctx.lang)}`);
        if (summary.notices?.length) {
          ctx.stdout.write(`\n${t('import.cli.noticesHeader', {}, ctx.lang)}\n`);
          for (const n of summary.notices) ctx.stdout.write(`  ${n.message}\n`);
        }
        if (summary.rejected.length) {
          ctx.stdout.write(`\n${t('import.cli.rejectedHeader', {}, ctx.lang)}\n`);
          for (const r of summary.rejected) ctx.stdout.write(`  ${r.reason}\n`);
        }
      }
      return 0;
    } finally {
      // An opening that failed (a wrong passphrase) has nothing to close; its error is the import's.
      await opened.catch(() => undefined);
      store?.close();
    }
  },
};
