// Where Amur keeps its data. AMUR_HOME wins; otherwise the platform's per-user application data
// folder, the same one Electron's app.getPath('userData') gives the desktop app for the name "Amur".
import { homedir } from 'node:os';
import { join } from 'node:path';

export function amurHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.AMUR_HOME) return env.AMUR_HOME;
  const home = homedir();
  switch (platform) {
    case 'win32':
      return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'Amur');
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Amur');
    default:
      return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'Amur');
  }
}
