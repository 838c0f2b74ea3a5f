// Every `amur` command, one file each. Add yours here.
import type { Command } from '../command.js';
import { identityCommand } from './identity.js';
import { importCommand } from './import.js';
import { modelsCommand } from './models.js';
import { reportCommand } from './report.js';
import { serveCommand } from './serve.js';
import { signCommand } from './sign.js';
import { startCommand } from './start.js';
import { studiesCommand } from './studies.js';
import { triageCommand } from './triage.js';
import { verifyCommand } from './verify.js';

export const commands: Command[] = [importCommand, studiesCommand, serveCommand, startCommand, triageCommand, modelsCommand, reportCommand, verifyCommand, identityCommand, signCommand];
