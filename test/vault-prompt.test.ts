// The browser shell on a terminal with no passphrase file asks for the passphrase, as a user
// starting `npm start` sees it: on a new store twice (a typo must not lock the studies away), with
// nothing echoed; on a store that exists once; a wrong one is refused and nothing starts. The
// terminal is a real pseudo-terminal (util-linux's script), so the prompt reads a TTY as it would.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { unlockWithPassphrase } from '../core/vault/vault.js';
import { REPO_ROOT } from './shared-data.js';

const work = mkdtempSync(join(tmpdir(), 'amur-vault-prompt-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Terminal {
  child: ChildProcess;
  /** Everything the terminal showed so far. */
  screen(): string;
  waitFor(re: RegExp, ms?: number): Promise<void>;
  type(line: string): void;
  exited: Promise<number | null>;
}

function terminal(home: string, lang = 'en'): Terminal {
  const env: NodeJS.ProcessEnv = { ...process.env, AMUR_HOME: home, AMUR_LANG: lang };
  delete env.AMUR_PASSPHRASE_FILE;
  const cmd = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'bin', 'amur.js'))} serve --port 0`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (s: string) => {
    out += s;
    for (const l of listeners) l();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    screen: () => out,
    exited,
    type: (line) => child.stdin!.write(`${line}\r`),
    waitFor: (re, ms = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (re.test(out)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${re} on the terminal; it shows:\n${out}`));
        }, ms);
        listeners.add(check);
        check();
      }),
  };
}

describe('the browser shell asks for the passphrase on its terminal', () => {
  const home = join(work, 'home');
  const secret = 'correct horse 電池 staple';

  it('a new store: asked twice, nothing echoed; the vault opens with what was typed', async () => {
    const t = terminal(home);
    try {
      await t.waitFor(/choose the passphrase/);
      t.type(secret);
      await t.waitFor(/again/);
      t.type(secret);
      await t.waitFor(/http:\/\/127\.0\.0\.1:\d+\/\?key=/, 120_000);
      assert.ok(!t.screen().includes('horse'), 'the passphrase is not echoed');
    } finally {
      t.child.kill('SIGTERM');
      await t.exited;
    }
    (await unlockWithPassphrase(home, secret)).destroy();
  });

  it('an existing store: a wrong passphrase is refused in the reader\'s language and nothing starts', async () => {
    const t = terminal(home, 'ru');
    await t.waitFor(/Парольная фраза/);
    t.type('wrong');
    assert.notEqual(await t.exited, 0);
    assert.match(t.screen(), /Неверная парольная фраза/);
    assert.doesNotMatch(t.screen(), /key=/);
  });

  it('two different passphrases for a new store create nothing', async () => {
    const fresh = join(work, 'fresh');
    const t = terminal(fresh);
    await t.waitFor(/choose the passphrase/);
    t.type('one');
    await t.waitFor(/again/);
    t.type('two');
    assert.notEqual(await t.exited, 0);
    assert.match(t.screen(), /do not match/);
    assert.equal(existsSync(join(fresh, 'vault.json')), false);
  });
});
