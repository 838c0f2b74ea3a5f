// Electron's entry for the desktop shell. The sources are TypeScript run through tsx, as for the
// `amur` command. The import is awaited so that the scheme registration in main.ts happens before
// Electron's `ready` event (an ES module entry is otherwise ready before its dynamic imports finish).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
