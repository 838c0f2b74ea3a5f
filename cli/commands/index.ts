// Every `amur` command, one file each. Add yours here.
import type { Command } from '../command.js';
import { importCommand } from './import.js';
import { serveCommand } from './serve.js';
import { startCommand } from './start.js';
import { studiesCommand } from './studies.js';

export const commands: Command[] = [importCommand, studiesCommand, serveCommand, startCommand];
