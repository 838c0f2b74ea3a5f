// Partners' cases on the worklist and the outbox view, through the browser shell in Chromium: an
// AMUR_HOME prepared with real files, cases recorded and reports queued through the store's own
// API (a delivery's outcome written as the delivery code writes it), then what a reader sees in
// zh-CN, ru and en at 1280×720 in Vladivostok time: the case columns, the deadline order (overdue
// first, reported and delivered below), the new states, and the outbox with its translated reasons.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { recordCase, type CaseRecord } from '../../core/cases/cases.js';
import { importPaths } from '../../core/importer/importer.js';
import { enqueue } from '../../core/outbox/outbox.js';
import { StudyStore } from '../../core/store/store.js';
import { PYDICOM_DATA, shared } from '../shared-data.js';
import { openReadingRoom, type ReadingRoom, screenshotDir } from './harness.js';
import { unlockTestHome } from '../vault.js';

const CHARSETS = join(PYDICOM_DATA, 'charset_files');
const FILES = {
  zh: join(CHARSETS, 'chrX2.dcm'), // 王小东: urgent, overdue
  ru: join(CHARSETS, 'chrRuss.dcm'), // routine, due in 20 h
  fr: join(CHARSETS, 'chrFren.dcm'), // routine, due in 2 h, its report delivered
  jp: join(CHARSETS, 'chrH31.dcm'), // routine, due in 10 h, its report failed to go
  ct: shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm'), // local media, no case
};
/** A real, small DICOM SR standing in for a signed report. */
const SR = join(PYDICOM_DATA, 'test_files', 'test-SR.dcm');
const SR_CLASS = '1.2.840.10008.5.1.4.1.1.88.33';
/** A report queued for a study this workstation does not hold (the UI names it by its UID). */
const FOREIGN_STUDY = '2.25.181818181818181818181818181818181818';
const TZ = 'Asia/Vladivostok';
const HOUR = 3_600_000;

type Key = keyof typeof FILES;

describe('partners\' cases on the worklist, and the outbox', () => {
  let room: ReadingRoom;
  let page: Page;
  let home: string;
  const uid = {} as Record<Key, string>;
  const cases = {} as Record<'zh' | 'ru' | 'fr' | 'jp', CaseRecord>;
  const items = {} as Record<'delivered' | 'failed' | 'unknown' | 'queued', string>;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'amur-e2e-cases-'));
    await unlockTestHome(home);
    const store = StudyStore.open(home);
    try {
      for (const [k, file] of Object.entries(FILES) as [Key, string][]) {
        const summary = await importPaths(store, [file], { workers: 0 });
        assert.equal(summary.imported, 1, `${file} imported`);
        uid[k] = summary.studies[0]!;
      }
      const now = Date.now();
      const aCase = (k: 'zh' | 'ru' | 'fr' | 'jp', c: Partial<CaseRecord> & { receivedAgo: number; dueIn: number }): CaseRecord => ({
        StudyInstanceUID: uid[k],
        agreementId: 'HRB-2026-01',
        partner: 'Harbin First Hospital',
        requestId: `REQ-${k.toUpperCase()}`,
        consentRef: `CONSENT-${k}`,
        priority: 'routine',
        receivedAt: new Date(now - c.receivedAgo).toISOString(),
        deadlineAt: new Date(now + c.dueIn).toISOString(),
        exchangeUrl: 'https://exchange.invalid/dicom-web',
        ...c,
      });
      cases.zh = aCase('zh', { priority: 'urgent', requestId: 'REQ-7001', receivedAgo: 5 * HOUR + 600_000, dueIn: -(3 * HOUR + 600_000) });
      cases.ru = aCase('ru', { agreementId: 'DL-2026-07', partner: 'Dalian Central Hospital', requestId: 'REQ-7002', receivedAgo: 4 * HOUR, dueIn: 20 * HOUR + 1_800_000 });
      cases.fr = aCase('fr', { requestId: 'REQ-7003', receivedAgo: 20 * HOUR, dueIn: 2 * HOUR + 1_800_000 });
      cases.jp = aCase('jp', { requestId: 'REQ-7004', receivedAgo: 10 * HOUR, dueIn: 10 * HOUR + 1_800_000 });
      for (const c of Object.values(cases)) recordCase(store, c);

      // Signed reports queued (a real DICOM file copied as the SR), then their delivery's outcome
      // written into the outbox rows as the delivery code writes it.
      const queue = (study: string, agreementId: string, sop: string) =>
        enqueue(store, { StudyInstanceUID: study, agreementId, instances: [{ path: SR, SOPInstanceUID: sop, SOPClassUID: SR_CLASS }] }).id;
      items.delivered = queue(uid.fr, 'HRB-2026-01', '2.25.9001');
      items.failed = queue(uid.jp, 'HRB-2026-01', '2.25.9002');
      items.unknown = queue(FOREIGN_STUDY, 'DL-2026-07', '2.25.9003');
      items.queued = queue(FOREIGN_STUDY, 'DL-2026-07', '2.25.9004');
      const set = store.db.prepare(
        'UPDATE outbox SET status = ?, attempts = ?, error_code = ?, error_params = ?, delivered_at = ?, created_at = ? WHERE id = ?');
      const ago = (ms: number) => new Date(now - ms).toISOString();
      set.run('delivered', 1, null, null, ago(HOUR), ago(3 * HOUR), items.delivered);
      set.run('failed', 3, 'cases.agreementInactive', JSON.stringify({ agreement: 'HRB-2026-01', from: '2025-01-01', to: '2025-12-31' }),
        null, ago(2 * HOUR), items.failed);
      // A code no catalogue translates (a newer host, say): never shown raw.
      set.run('failed', 1, 'outbox.noSuchReasonYet', JSON.stringify({ detail: 'x' }), null, ago(1.5 * HOUR), items.unknown);
      set.run('queued', 0, null, null, null, ago(HOUR), items.queued);
    } finally {
      store.close();
    }
    // The outbox states are set by hand above: no automatic delivery may change them.
    // The reader sits in Vladivostok and reads in Chinese first (the browser's language).
    room = await openReadingRoom({ home, env: { AMUR_DELIVERY_INTERVAL: '0' }, locale: 'zh-CN', timezoneId: TZ, viewport: { width: 1280, height: 720 } });
    ({ page } = room);
  });
  after(async () => {
    await room?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const rowUids = () => page.locator('[data-testid="worklist-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-study-uid')));
  const cell = (k: Key, column: string) => page.locator(`[data-testid="worklist-row"][data-study-uid="${uid[k]}"] [data-column="${column}"]`).innerText();
  const deadlineText = (iso: string, locale: string) =>
    new Intl.DateTimeFormat(locale, { month: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone: TZ }).format(new Date(iso));

  /** Every column label on one line (no CJK character per line) and inside its own header cell. */
  async function assertHeaderFits(lang: string) {
    const heads = await page.locator('table.studies thead th').evaluateAll((ths) =>
      ths.map((th) => {
        const button = th.querySelector('button')!;
        const range = document.createRange();
        range.selectNodeContents(button);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
        const t = th.getBoundingClientRect();
        const text = range.getBoundingClientRect();
        // Cut off: the text runs past the header cell's inner edge (where it clips or ellipsizes).
        const inner = t.right - parseFloat(getComputedStyle(th).paddingRight);
        const clipped = text.right > inner + 0.5 || button.scrollWidth > button.clientWidth + 0.5;
        return { label: button.textContent ?? '', lines, cellLeft: t.left, cellRight: t.right, clipped };
      }));
    assert.ok(heads.length >= 13, `${lang}: the case columns are there (${heads.map((h) => h.label).join(' | ')})`);
    for (const h of heads) assert.equal(h.lines, 1, `${lang}: "${h.label}" is on one line`);
    for (let i = 1; i < heads.length; i++) {
      assert.ok(heads[i]!.cellLeft >= heads[i - 1]!.cellRight - 1, `${lang}: "${heads[i - 1]!.label}" and "${heads[i]!.label}" do not overlap`);
    }
    // The case columns' labels are read whole, not cut off.
    const labels = await page.locator('table.studies thead th button').allInnerTexts();
    for (const id of ['priority', 'deadline', 'agreement', 'partner', 'requestId', 'status']) {
      const i = await page.locator('table.studies thead th').evaluateAll((ths, id) => ths.findIndex((th) => th.querySelector(`[data-testid="sort-${id}"]`)), id);
      assert.ok(i >= 0, `${lang}: column ${id} is shown`);
      assert.ok(!heads[i]!.clipped, `${lang}: the label "${labels[i]}" of ${id} is shown whole`);
    }
  }

  const LANGS = [
    {
      lang: 'zh-CN', locale: 'zh-CN',
      labels: { agreement: '协议', partner: '合作医院', requestId: '申请号', priority: '优先级', deadline: '截止时间', status: '状态' },
      urgent: '加急', routine: '常规', overdue: '已逾期', fresh: '新检查', delivered: '已送达', reported: '已出报告',
      overdueBy: /^逾期 3\s?小时$/, left: /^剩余 20\s?小时$/,
      outbox: { open: '发件箱', queued: '排队中', delivered: '已送达', failed: '失败', inactive: '协议 HRB-2026-01 今天不在有效期内（有效期 2025-01-01 至 2025-12-31）', unknown: '发送失败（此语言下没有原因说明）' },
    },
    {
      lang: 'ru', locale: 'ru',
      labels: { agreement: 'Соглашение', partner: 'Партнёр', requestId: 'Запрос', priority: 'Срочность', deadline: 'Срок', status: 'Статус' },
      urgent: 'Срочное', routine: 'Плановое', overdue: 'Просрочен', fresh: 'Новое', delivered: 'Доставлен', reported: 'Описано',
      overdueBy: /^просрочка 3 ч$/, left: /^ещё 20 ч$/,
      outbox: { open: 'Исходящие', queued: 'В очереди', delivered: 'Доставлено', failed: 'Ошибка', inactive: 'Соглашение HRB-2026-01 сегодня не действует (срок действия с 2025-01-01 по 2025-12-31)', unknown: 'Доставка не удалась (описания причины на этом языке нет)' },
    },
    {
      lang: 'en', locale: 'en',
      labels: { agreement: 'Agreement', partner: 'Partner', requestId: 'Request', priority: 'Priority', deadline: 'Deadline', status: 'Status' },
      urgent: 'Urgent', routine: 'Routine', overdue: 'Overdue', fresh: 'New', delivered: 'Delivered', reported: 'Reported',
      overdueBy: /^overdue 3 hr$/, left: /^20 hr left$/,
      outbox: { open: 'Outbox', queued: 'Queued', delivered: 'Delivered', failed: 'Failed', inactive: 'Agreement HRB-2026-01 is not in force today (valid 2025-01-01 to 2025-12-31)', unknown: 'Delivery failed (no description of the reason in this language)' },
    },
  ] as const;

  for (const L of LANGS) {
    test(`${L.lang}: the worklist shows the cases by deadline, overdue first, reported and delivered below`, async () => {
      await page.locator('[data-testid="open-worklist"]').click();
      await page.locator('[data-testid="worklist"][data-state="ready"]').waitFor();
      if ((await page.locator('[data-testid="language"]').inputValue()) !== L.lang) {
        await page.locator('[data-testid="language"]').selectOption(L.lang);
      }
      await page.locator(`[data-testid="sort-status"]:text-is("${L.labels.status}")`).waitFor();
      assert.equal(await page.locator('table.studies').getAttribute('data-cases'), 'yes');
      for (const [id, label] of Object.entries(L.labels)) {
        assert.equal((await page.locator(`[data-testid="sort-${id}"]`).innerText()).replace(/ [▲▼]$/, ''), label, `label of ${id}`);
      }
      // The default order: by deadline, nothing chosen by the reader.
      assert.equal(await page.locator('th:has([data-testid="sort-deadline"])').getAttribute('aria-sort'), 'ascending');
      assert.deepEqual(await rowUids(), [uid.zh, uid.ru, uid.ct, uid.fr, uid.jp]);

      assert.equal(await cell('zh', 'agreement'), 'HRB-2026-01');
      assert.equal(await cell('zh', 'partner'), 'Harbin First Hospital');
      assert.equal(await cell('zh', 'requestId'), 'REQ-7001');
      assert.equal(await cell('zh', 'priority'), `⚑ ${L.urgent}`);
      assert.equal(await cell('zh', 'status'), L.overdue);
      const zhDeadline = page.locator(`[data-testid="worklist-row"][data-study-uid="${uid.zh}"] [data-column="deadline"]`);
      assert.equal(await zhDeadline.locator('time').innerText(), deadlineText(cases.zh.deadlineAt, L.locale), 'in the reader\'s time zone');
      assert.match(await zhDeadline.locator('[data-testid="deadline-note"]').innerText(), L.overdueBy);

      assert.equal(await cell('ru', 'agreement'), 'DL-2026-07');
      assert.equal(await cell('ru', 'partner'), 'Dalian Central Hospital');
      assert.equal(await cell('ru', 'requestId'), 'REQ-7002');
      assert.equal(await cell('ru', 'priority'), L.routine);
      assert.equal(await cell('ru', 'status'), L.fresh);
      const ruDeadline = page.locator(`[data-testid="worklist-row"][data-study-uid="${uid.ru}"] [data-column="deadline"]`);
      assert.equal(await ruDeadline.locator('time').innerText(), deadlineText(cases.ru.deadlineAt, L.locale));
      assert.match(await ruDeadline.locator('[data-testid="deadline-note"]').innerText(), L.left);

      // Local media: no case, so no agreement, request or deadline; its source in the partner column.
      assert.equal(await cell('ct', 'agreement'), '');
      assert.equal(await cell('ct', 'requestId'), '');
      assert.equal(await cell('ct', 'deadline'), '');
      assert.equal(await cell('ct', 'status'), L.fresh);

      // Reported and delivered: their deadline shown, no countdown any more.
      assert.equal(await cell('fr', 'status'), L.delivered);
      assert.equal(await cell('fr', 'deadline'), deadlineText(cases.fr.deadlineAt, L.locale));
      assert.equal(await cell('jp', 'status'), L.reported);

      await assertHeaderFits(L.lang);
      await page.screenshot({ path: join(screenshotDir(), `worklist-cases-${L.lang}.png`) });
    });

    test(`${L.lang}: the status filter has the new states`, async () => {
      const filter = page.locator('[data-testid="filter-status"]');
      const options = await filter.locator('option').allInnerTexts();
      for (const s of [L.fresh, L.overdue, L.reported, L.delivered]) assert.ok(options.includes(s), `${s} in ${options.join(', ')}`);
      await filter.selectOption('overdue');
      assert.deepEqual(await rowUids(), [uid.zh]);
      await filter.selectOption('delivered');
      assert.deepEqual(await rowUids(), [uid.fr]);
      await filter.selectOption('');
      assert.equal((await rowUids()).length, 5);
    });

    test(`${L.lang}: the outbox lists the reports with their states and the failed ones' reasons`, async () => {
      await page.locator('[data-testid="open-outbox"]').click();
      assert.equal(await page.locator('[data-testid="open-outbox"]').innerText(), L.outbox.open);
      await page.locator('[data-testid="outbox"][data-state="ready"]').waitFor();
      const rows = page.locator('[data-testid="outbox-row"]');
      await rows.nth(3).waitFor();
      // What needs a person first: failed, then waiting (oldest first), then delivered.
      assert.deepEqual(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-item-id'))), [items.failed, items.unknown, items.queued, items.delivered]);
      const item = (id: string, column: string) => page.locator(`[data-testid="outbox-row"][data-item-id="${id}"] [data-column="${column}"]`).innerText();

      // A study the worklist knows is named as the worklist names it; another by its UID, shortened.
      assert.match(await item(items.delivered, 'study'), /^Buc Jérôme/);
      assert.match(await item(items.failed, 'study'), /^Yamada Tarou 山田太郎/);
      assert.equal(await item(items.queued, 'study'), '2.25.181…1818181818');

      assert.equal(await item(items.delivered, 'status'), L.outbox.delivered);
      assert.equal(await item(items.delivered, 'agreement'), 'HRB-2026-01');
      assert.equal(await item(items.delivered, 'reason'), '');
      assert.notEqual(await item(items.delivered, 'delivered'), '');
      assert.equal(await item(items.delivered, 'attempts'), '1');

      assert.equal(await item(items.failed, 'status'), L.outbox.failed);
      assert.equal(await item(items.failed, 'attempts'), '3');
      assert.equal(await item(items.failed, 'delivered'), '');
      const reason = await page.locator(`[data-testid="outbox-row"][data-item-id="${items.failed}"] [data-column="reason"]`).innerText();
      assert.ok(reason.startsWith(L.outbox.inactive), reason);
      assert.doesNotMatch(reason, /cases\.agreementInactive|\{\{/);

      assert.equal(await item(items.unknown, 'status'), L.outbox.failed);
      assert.equal(await item(items.unknown, 'reason'), L.outbox.unknown);
      assert.equal(await item(items.queued, 'status'), L.outbox.queued);
      assert.equal(await item(items.queued, 'reason'), '');
      const all = await page.locator('[data-testid="outbox"]').innerText();
      assert.doesNotMatch(all, /noSuchReasonYet|outbox\.|errors\./, 'no raw code is shown');
      await page.screenshot({ path: join(screenshotDir(), `outbox-${L.lang}.png`) });
      await page.locator('[data-testid="open-worklist"]').click();
      await page.locator('[data-testid="worklist"][data-state="ready"]').waitFor();
    });
  }

  test('the outbox follows a delivery made by another process', async () => {
    await page.locator('[data-testid="open-outbox"]').click();
    const queued = page.locator(`[data-testid="outbox-row"][data-item-id="${items.queued}"]`);
    await queued.waitFor();
    assert.equal(await queued.getAttribute('data-status'), 'queued');
    const store = StudyStore.open(home);
    try {
      store.db.prepare("UPDATE outbox SET status = 'delivered', attempts = 1, delivered_at = ? WHERE id = ?").run(new Date().toISOString(), items.queued);
    } finally {
      store.close();
    }
    await page.locator(`[data-testid="outbox-row"][data-item-id="${items.queued}"][data-status="delivered"]`).waitFor();
    await page.locator('[data-testid="open-worklist"]').click();
  });
});
