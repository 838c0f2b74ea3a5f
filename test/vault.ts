// Unlocks a test's AMUR_HOME in this process the way the CLI does (AMUR_PASSPHRASE_FILE, which
// test/run-tests.mjs sets for the whole run), so that a store opened here and the `amur` commands a
// test runs on the same home share one vault.
import { unlockFromEnvironment } from '../core/vault/session.js';

export async function unlockTestHome(home: string): Promise<void> {
  await unlockFromEnvironment(home, process.env);
}
