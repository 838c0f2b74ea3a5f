// When the browser shell's host stops, the page says so at once (the WebSocket's close), instead
// of failing silently on the next click.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApp, openBrowser, startApp } from './harness.js';

test('the page tells the reader when the host is gone, in the reader\'s language', async () => {
  const app = await startApp();
  const b = await openBrowser({ locale: 'ru-RU' });
  try {
    await openApp(b.page, app);
    assert.equal(await b.page.locator('[data-testid="connection-lost"]').count(), 0);
    await app.stop();
    const banner = b.page.locator('[data-testid="connection-lost"]');
    await banner.waitFor();
    assert.match(await banner.innerText(), /Связь с сервером Amur потеряна/);
  } finally {
    await b.close();
    await app.stop();
  }
});
