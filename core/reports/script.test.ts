// Script detection of report free text: what a Russian, Chinese or English radiologist writes,
// with the codes, units and abbreviations every one of them writes in Latin letters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countScripts, detectLanguage, languageMismatch } from './script.js';

describe('detectLanguage', () => {
  it('tells Russian, Chinese and English report sentences apart', () => {
    assert.equal(detectLanguage('Внутримозговая гематома левой лобной доли.'), 'ru');
    assert.equal(detectLanguage('左额叶脑内血肿。'), 'zh-CN');
    assert.equal(detectLanguage('Left frontal intracerebral haematoma.'), 'en');
  });

  it('does not count units, codes, numbers and abbreviations written in Latin letters', () => {
    assert.equal(detectLanguage('На КТ в режиме FLAIR и T2-ВИ очаг 23 mm, плотность 62 HU (J18.9).'), 'ru');
    assert.equal(detectLanguage('CT平扫：左额叶见高密度影，约 23 mm × 15 mm，CT值 62 HU。'), 'zh-CN');
    assert.equal(countScripts('23 mm, 62 HU, 154 mm², J18.9, 121071, MRI T2WI').total, 0);
  });

  it('leaves text too short or too mixed to judge undecided', () => {
    assert.equal(detectLanguage('23 mm'), undefined);
    assert.equal(detectLanguage('ok'), undefined);
    assert.equal(detectLanguage('—'), undefined);
    assert.equal(detectLanguage('abcdef абвгде'), undefined);
  });
});

describe('languageMismatch', () => {
  it('finds Russian text in the English box, and English in the Chinese one', () => {
    assert.equal(languageMismatch('Гиперденсная зона в левой лобной доле размером до 23 мм.', 'en'), 'ru');
    assert.equal(languageMismatch('Hyperdense area in the left frontal lobe.', 'zh-CN'), 'en');
    assert.equal(languageMismatch('左额叶脑内血肿。', 'ru'), 'zh-CN');
  });

  it('accepts a text in its own language, with a foreign term or abbreviation in it', () => {
    assert.equal(languageMismatch('Гематома (haematoma) левой лобной доли, КТ-признаки отёка.', 'ru'), undefined);
    assert.equal(languageMismatch('Left frontal intracerebral haematoma, unchanged since the prior study (см. протокол).', 'en'), undefined);
    assert.equal(languageMismatch('脑内血肿，MRI随访。', 'zh-CN'), undefined);
    assert.equal(languageMismatch('23 mm', 'zh-CN'), undefined);
  });
});
