// The desktop app's language: the environment when it says one, else the system's preferred languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desktopLanguage } from './language.js';

test('AMUR_LANG and the locale variables first, then the system languages, English otherwise', () => {
  assert.equal(desktopLanguage({ AMUR_LANG: 'ru' }, ['zh-CN']), 'ru');
  assert.equal(desktopLanguage({ LANG: 'zh_CN.UTF-8' }, ['en-US']), 'zh-CN');
  assert.equal(desktopLanguage({}, ['zh-Hans-CN', 'en-US']), 'zh-CN');
  assert.equal(desktopLanguage({}, ['de-DE', 'ru-RU']), 'ru');
  assert.equal(desktopLanguage({}, ['de-DE']), 'en');
  assert.equal(desktopLanguage({}, []), 'en');
});
