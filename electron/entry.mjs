// Electron's entry for the desktop shell. It runs the compiled main process (out/js, see
// bin/compile.mjs), brought up to date first in a source checkout, or the TypeScript sources through
// tsx when AMUR_FROM_SOURCE=1 or the build cannot be made, as the `amur` command does. The import is
// awaited so that the scheme registration in main.ts happens before Electron's `ready` event (an ES
// module entry is otherwise ready before its dynamic imports finish).
import { runEntry } from '../bin/compile.mjs';

await runEntry('electron/main.ts');
