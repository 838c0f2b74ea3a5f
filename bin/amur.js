#!/usr/bin/env node
// The `amur` command. The sources are TypeScript run through tsx, so the installed command and the
// tests run exactly the same code with no build step in between.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
