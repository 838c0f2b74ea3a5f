// Every `amur` command, one file each. Add yours here.
import type { Command } from '../command.js';

export const commands: Command[] = [];
