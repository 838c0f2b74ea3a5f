#!/usr/bin/env node
// The `amur` command. It runs the compiled modules in out/js (bin/compile.mjs), first bringing them
// up to date with the sources in a source checkout; with AMUR_FROM_SOURCE=1, or when they cannot be
// built, it runs the TypeScript sources through tsx instead (about a third of a second more per
// command).
import { ensureCompiled } from './compile.mjs';

const compiled = await ensureCompiled('cli/main.ts');
if (compiled) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
