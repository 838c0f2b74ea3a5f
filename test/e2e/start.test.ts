// `npm start` (amur start) without Electron's runtime: it says so in the reader's language and
// serves the browser shell instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electronRuntime } from '../../cli/commands/start.js';
import { startApp } from './harness.js';

test('electronRuntime() finds the runtime only when the package names an existing executable', () => {
  assert.equal(electronRuntime(() => { throw new Error('Electron failed to install correctly'); }), undefined);
  assert.equal(electronRuntime(() => '/nonexistent/electron'), undefined);
  assert.equal(electronRuntime(() => ({ not: 'a path' })), undefined);
  assert.equal(electronRuntime(() => process.execPath), process.execPath);
});

test('without Electron, amur start explains in Russian and serves the browser shell', {
  skip: electronRuntime() ? 'Electron runtime installed here: amur start opens the desktop app' : false,
}, async () => {
  const app = await startApp({ command: 'start', env: { AMUR_LANG: 'ru' } });
  try {
    assert.match(app.output(), /Среда выполнения Electron не установлена/);
    assert.match(app.output(), /Amur запущен/);
    const res = await fetch(app.origin + '/');
    assert.equal(res.status, 403, 'the fallback host is just as closed');
  } finally {
    await app.stop();
  }
});
