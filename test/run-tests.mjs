// Runs every *.test.ts under the source folders with node's own test runner (through tsx).
// Node 20's --test takes no globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['core', 'cli', 'electron', 'renderer', 'test'];
const files = [];
function walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries.sort()) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.tsx?$/.test(name)) files.push(p);
  }
}
for (const r of roots) {
  if (statSync(r, { throwIfNoEntry: false })?.isFile()) files.push(r); else walk(r);
}
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A test file that leaves a handle open must not hang CI: each file's process exits once its tests
// are done (--test-force-exit), and no single test may run past ten minutes.
// Every store the tests make is encrypted, as every store is: the passphrase of their vaults is in
// a file named by AMUR_PASSPHRASE_FILE (the CLI's contract), which the commands the tests run and
// the in-process tests (test/vault.ts) read. A test of the refusal without it removes the variable.
const secrets = mkdtempSync(join(tmpdir(), 'amur-test-vault-'));
const passphraseFile = join(secrets, 'passphrase');
writeFileSync(passphraseFile, `test vault ${process.pid} ${Date.now()}\n`, { mode: 0o600 });
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-force-exit', '--test-timeout=600000', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, AMUR_PASSPHRASE_FILE: process.env.AMUR_PASSPHRASE_FILE ?? passphraseFile } },
);
rmSync(secrets, { recursive: true, force: true });
process.exit(r.status ?? 1);
