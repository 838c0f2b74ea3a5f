// When the browser shell's host stops, the page says so at once (the WebSocket's close), instead
// of failing silently on the next click.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withReadingRoom } from './harness.js';

test('the page tells the reader when the host is gone, in the reader\'s language', () =>
  withReadingRoom({ locale: 'ru-RU' }, async ({ app, page }) => {
    assert.equal(await page.locator('[data-testid="connection-lost"]').count(), 0);
    // Stopping twice (here, then when the room closes) is harmless: the second finds it gone.
    await app.stop();
    const banner = page.locator('[data-testid="connection-lost"]');
    await banner.waitFor();
    assert.match(await banner.innerText(), /Связь с сервером Amur потеряна/);
  }));
