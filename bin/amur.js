#!/usr/bin/env node
// The `amur` command. It runs the compiled modules in out/js (bin/compile.mjs), first bringing them
// up to date with the sources in a source checkout; with AMUR_FROM_SOURCE=1, or when they cannot be
// built, it runs the TypeScript sources through tsx instead (about a third of a second more per
// command).
import { runEntry } from './compile.mjs';

await runEntry('cli/main.ts');
